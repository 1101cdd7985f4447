package reorder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadProfile(t *testing.T) {
	tests := []struct {
		name, json string
		want       Profile
		err        string // substring of the error; "" for success
	}{
		{name: "valid", json: `{"t_up_us": 1, "t_down_us": 2, "e_up": 3, "e_down": 4, "endurance": 1e9}`,
			want: Profile{TUpUS: 1, TDownUS: 2, EUp: 3, EDown: 4, Endurance: 1e9}},
		{name: "zero costs", json: `{"t_up_us": 0, "t_down_us": 0, "e_up": 0, "e_down": 0, "endurance": 5}`,
			want: Profile{Endurance: 5}},
		{name: "missing", json: `{"t_up_us": 1, "t_down_us": 2, "e_up": 3, "endurance": 1e9}`, err: `missing field "e_down"`},
		{name: "unknown", json: `{"t_up_us": 1, "t_down_us": 2, "e_up": 3, "e_down": 4, "endurance": 1e9, "t_reset": 1}`, err: `unknown field "t_reset"`},
		{name: "negative", json: `{"t_up_us": 1, "t_down_us": -2, "e_up": 3, "e_down": 4, "endurance": 1e9}`, err: "t_down_us is -2"},
		{name: "zero endurance", json: `{"t_up_us": 1, "t_down_us": 2, "e_up": 3, "e_down": 4, "endurance": 0}`, err: "endurance is 0"},
		{name: "wrong type", json: `{"t_up_us": "fast", "t_down_us": 2, "e_up": 3, "e_down": 4, "endurance": 1}`, err: "t_up_us"},
		{name: "trailing", json: `{"t_up_us": 1, "t_down_us": 2, "e_up": 3, "e_down": 4, "endurance": 1} {}`, err: "data after the JSON object"},
		{name: "not JSON", json: `t_up_us = 1`, err: "device profile"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
		if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := LoadProfile(path)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err == "" && got != tt.want:
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), path+": ")):
			t.Errorf("%s: error %v, want one starting with the path and containing %q", tt.name, err, tt.err)
		}
	}
	if _, err := LoadProfile(filepath.Join(dir, "absent.json")); err == nil {
		t.Error("LoadProfile of a missing file succeeded")
	}
}

func TestDefaultProfileValid(t *testing.T) {
	if err := DefaultProfile().Validate(); err != nil {
		t.Error(err)
	}
}

// FuzzParseProfile: any input is a valid profile or an error, never a
// panic; what parses passes Validate.
func FuzzParseProfile(f *testing.F) {
	f.Add([]byte(`{"t_up_us": 0.5, "t_down_us": 20, "e_up": 9, "e_down": 40, "endurance": 1e8}`))
	f.Add([]byte(`{"t_up_us": 0.5}`))
	f.Add([]byte(`{"t_up_us": -1, "t_down_us": 20, "e_up": 9, "e_down": 40, "endurance": 1e8} {}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseProfile(data)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed profile %+v does not validate: %v", p, err)
		}
	})
}

func TestPresets(t *testing.T) {
	want := map[string]float64{"reference": 1e8, "gst": 3800, "gsst": 67000, "gsse": 5e5, "sb2se3": 1.4e8}
	presets := Presets()
	if len(presets) != len(want) {
		t.Fatalf("%d presets, want %d", len(presets), len(want))
	}
	for _, p := range presets {
		if err := p.Validate(); err != nil {
			t.Errorf("preset %s: %v", p.Name, err)
		}
		if p.Source == "" {
			t.Errorf("preset %s has no source", p.Name)
		}
		if p.Endurance != want[p.Name] {
			t.Errorf("preset %s: endurance %g, want %g", p.Name, p.Endurance, want[p.Name])
		}
		got, err := LookupDevice(p.Name)
		if err != nil || got != p.Profile {
			t.Errorf("LookupDevice(%q) = %+v, %v; want %+v", p.Name, got, err, p.Profile)
		}
	}
}

func TestLookupDevice(t *testing.T) {
	dir := t.TempDir()
	named := filepath.Join(dir, "cell.json")
	os.WriteFile(named, []byte(`{"name": "lab-gst", "t_up_us": 1, "t_down_us": 2, "e_up": 3, "e_down": 4, "endurance": 5}`), 0o644)
	plain := filepath.Join(dir, "plain.json")
	os.WriteFile(plain, []byte(`{"t_up_us": 1, "t_down_us": 2, "e_up": 3, "e_down": 4, "endurance": 5}`), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"t_up_us": 1, "t_down_us": 2, "e_up": 3, "e_down": 4}`), 0o644)
	tests := []struct {
		spec, name, err string
	}{
		{spec: named, name: "lab-gst"},
		{spec: plain, name: plain},
		{spec: bad, err: `missing field "endurance"`},
		{spec: "gts", err: `device "gts": not a preset (reference, gst, gsst, gsse, sb2se3) nor a JSON profile file`},
		{spec: filepath.Join(dir, "absent.json"), err: "absent.json"},
	}
	for _, tt := range tests {
		p, err := LookupDevice(tt.spec)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.spec, err)
		case tt.err == "" && p.Name != tt.name:
			t.Errorf("%s: name %q, want %q", tt.spec, p.Name, tt.name)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: error %v, want one containing %q", tt.spec, err, tt.err)
		}
	}
}
