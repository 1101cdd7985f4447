package reorder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// Profile holds the device constants of PCM programming.
type Profile struct {
	// Name is the preset the profile came from, or the file it was read
	// from; it only labels reports.
	Name string `json:"name,omitempty"`
	// TUpUS and TDownUS are the time in microseconds to move one cell one
	// level up (towards a larger weight magnitude) or down.
	TUpUS   float64 `json:"t_up_us"`
	TDownUS float64 `json:"t_down_us"`
	// EUp and EDown are the energy of one level step up or down, in the
	// profile's unit.
	EUp   float64 `json:"e_up"`
	EDown float64 `json:"e_down"`
	// Endurance is how many writes (level steps, summed over a cell's
	// positive and negative arrays) a cell survives. Papers quote full
	// switching cycles; counting every level step as one cycle is the
	// conservative reading, since a multi-level step is a partial cycle.
	Endurance float64 `json:"endurance"`
}

// DefaultProfile returns the reference's constants: a step up takes 0.5 us
// and 9 energy units, a step down 20 us and 40 units (analyze_wt in
// reorder.py of zhuhanqing/ELight; the energy unit is arbitrary). Neither
// the paper nor its code gives an endurance: 1e8 level steps per cell is an
// assumed order of magnitude from the range usually quoted for PCM cells
// (about 1e6 to 1e9 and above), not a measured figure. Set it from the
// device's data for lifetimes that mean something.
func DefaultProfile() Profile {
	return Profile{Name: "reference", TUpUS: 0.5, TDownUS: 20, EUp: 9, EDown: 40, Endurance: 1e8}
}

// Preset is a built-in device profile and where its figures come from.
type Preset struct {
	Profile
	Source string
}

// Presets returns the built-in device profiles: the reference's constants
// and published photonic PCM cells, named by material. The cells differ in
// endurance, the one figure the papers give for each; the papers give no
// per-level up and down times or energies for one cell, so every preset
// keeps the reference's relative time and energy units and only the
// lifetimes differ between them.
func Presets() []Preset {
	ref := DefaultProfile()
	cell := func(name string, endurance float64, source string) Preset {
		p := ref
		p.Name, p.Endurance = name, endurance
		return Preset{Profile: p, Source: source}
	}
	return []Preset{
		{Profile: ref, Source: "zhuhanqing/ELight reorder.py analyze_wt; endurance assumed (the paper gives none)"},
		// The electrically programmed GST cell: a photonic core is
		// programmed through on-chip heaters, and the optically switched
		// figures (5,000 to 6,000 cycles) are of the same order.
		cell("gst", 3800, "Ge2Sb2Te5 with a doped-Si heater: 3,800 cycles (Meng et al., Light: Science & Applications 2023, Table 1)"),
		cell("gsst", 67000, "Ge2Sb2Se4Te1: more than 67,000 cycles after design fixes (arXiv 2409.12313; Zhang et al., Nature Communications 2019)"),
		cell("gsse", 5e5, "GSSe, 4-bit: about 500,000 cycles (Meng et al., Light: Science & Applications 2023)"),
		cell("sb2se3", 1.4e8, "Sb2Se3 with an ITO heater on SiN: more than 1.4e8 cycles, over 64 levels (arXiv 2604.11649)"),
	}
}

// LookupDevice returns the profile spec names: a preset of Presets by
// name, or else a JSON profile file read by LoadProfile, labelled with its
// path.
func LookupDevice(spec string) (Profile, error) {
	var names []string
	for _, p := range Presets() {
		if p.Name == spec {
			return p.Profile, nil
		}
		names = append(names, p.Name)
	}
	if !strings.HasSuffix(spec, ".json") {
		if _, err := os.Stat(spec); err != nil {
			return Profile{}, fmt.Errorf("device %q: not a preset (%s) nor a JSON profile file", spec, strings.Join(names, ", "))
		}
	}
	p, err := LoadProfile(spec)
	if err != nil {
		return Profile{}, err
	}
	if p.Name == "" {
		p.Name = spec
	}
	return p, nil
}

// fields lists the constants under their JSON names, so messages name a
// field as the file spells it.
func (p Profile) fields() []namedValue {
	return []namedValue{{"t_up_us", p.TUpUS}, {"t_down_us", p.TDownUS}, {"e_up", p.EUp}, {"e_down", p.EDown}, {"endurance", p.Endurance}}
}

// namedValue is a profile constant and its JSON name.
type namedValue struct {
	name string
	v    float64
}

// Validate reports a negative or non-finite constant, or an endurance that
// is not positive (lifetimes divide by it).
func (p Profile) Validate() error {
	for _, f := range p.fields() {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return fmt.Errorf("%s is %v, want a finite value >= 0", f.name, f.v)
		}
	}
	if p.Endurance == 0 {
		return errors.New("endurance is 0, want a positive number of writes")
	}
	return nil
}

// LoadProfile reads a device profile from a JSON object with all five
// constants and an optional name, for example
//
//	{"name": "my-gst", "t_up_us": 0.5, "t_down_us": 20, "e_up": 9, "e_down": 40, "endurance": 3800}
//
// A missing, unknown or negative field is an error naming the field and the
// file.
func LoadProfile(path string) (Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, err
	}
	p, err := parseProfile(data)
	if err != nil {
		return Profile{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// parseProfile decodes and validates a profile.
func parseProfile(data []byte) (Profile, error) {
	// Pointers tell a missing field from an explicit zero.
	var raw struct {
		Name      string   `json:"name"`
		TUpUS     *float64 `json:"t_up_us"`
		TDownUS   *float64 `json:"t_down_us"`
		EUp       *float64 `json:"e_up"`
		EDown     *float64 `json:"e_down"`
		Endurance *float64 `json:"endurance"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Profile{}, fmt.Errorf("device profile: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Profile{}, errors.New("device profile: data after the JSON object")
	}
	for _, f := range []struct {
		name string
		v    *float64
	}{{"t_up_us", raw.TUpUS}, {"t_down_us", raw.TDownUS}, {"e_up", raw.EUp}, {"e_down", raw.EDown}, {"endurance", raw.Endurance}} {
		if f.v == nil {
			return Profile{}, fmt.Errorf("device profile: missing field %q", f.name)
		}
	}
	p := Profile{Name: raw.Name, TUpUS: *raw.TUpUS, TDownUS: *raw.TDownUS, EUp: *raw.EUp, EDown: *raw.EDown, Endurance: *raw.Endurance}
	if err := p.Validate(); err != nil {
		return Profile{}, fmt.Errorf("device profile: %w", err)
	}
	return p, nil
}
