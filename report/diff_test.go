package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// versions are two reports of one model: conv1's cell writes grow from 300
// to 360, fc is renamed head and falls from 200 to 150 (the layer helper
// divides by 3 for the cell strategy), so the total goes 500 -> 510, +2%.
func versions() (old, new *Report) {
	old = newReport(layer("conv1", 64, 27, 900), layer("fc", 10, 512, 600))
	new = newReport(layer("conv1", 64, 27, 1080), layer("head", 10, 512, 450))
	old.Config.Device.Endurance, new.Config.Device.Endurance = 1e8, 1e8
	return old, new
}

func TestConfigChanges(t *testing.T) {
	cases := []struct {
		name   string
		change func(old, new *Report)
		want   []ConfigChange // values in their JSON form
	}{
		{"same configuration", func(old, new *Report) {}, []ConfigChange{}},
		{"bits and endurance", func(old, new *Report) {
			new.Config.Bits, new.Config.Device.Endurance = 6, 5e5
		}, []ConfigChange{
			{"bits", json.RawMessage("4"), json.RawMessage("6")},
			{"device_profile.endurance", json.RawMessage("100000000"), json.RawMessage("500000")},
		}},
		{"strategy beside the config", func(old, new *Report) {
			new.Strategy = "block"
		}, []ConfigChange{{"strategy", json.RawMessage(`"cell"`), json.RawMessage(`"block"`)}}},
		{"block, scale, fine-tuning and a device time", func(old, new *Report) {
			old.Config.Finetune = true
			new.Config.Block, new.Config.Scale, new.Config.Device.TUpUS = 32, "row", 0.5
		}, []ConfigChange{
			{"block", json.RawMessage("64"), json.RawMessage("32")},
			{"device_profile.t_up_us", json.RawMessage("0"), json.RawMessage("0.5")},
			{"finetune", json.RawMessage("true"), json.RawMessage("false")},
			{"scale", json.RawMessage(`"tensor"`), json.RawMessage(`"row"`)},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old, new := versions()
			c.change(old, new)
			d, err := Compare(old, new)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Config, c.want) {
				t.Errorf("config changes\n%s\nwant\n%s", changesString(d.Config), changesString(c.want))
			}
		})
	}
}

func changesString(cs []ConfigChange) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Key + ": " + string(c.Old) + " -> " + string(c.New) + "\n")
	}
	return b.String()
}

// TestFlattenCoversUnknownFields: a field Config gains later (cores) is a
// key like any other, nested objects give dotted keys, and integers beyond
// float64's 53 bits still compare exactly.
func TestFlattenCoversUnknownFields(t *testing.T) {
	leaves := func(doc string) map[string]json.RawMessage {
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		m := map[string]json.RawMessage{}
		if err := flatten(m, "", v); err != nil {
			t.Fatal(err)
		}
		return m
	}
	got := leaves(`{"bits": 4, "cores": 8, "device_profile": {"endurance": 1e8, "wear": {"model": "linear"}}, "big": 9007199254740993, "list": [1, 2], "empty": {}}`)
	want := map[string]string{
		"bits": "4", "cores": "8", "device_profile.endurance": "1e8", "device_profile.wear.model": `"linear"`,
		"big": "9007199254740993", "list": "[1,2]", "empty": "{}",
	}
	if len(got) != len(want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
}

func TestDiffMarkdown(t *testing.T) {
	old, new := versions()
	new.Config.Bits, new.Config.Device.Endurance = 6, 5e5
	new.Layers = append(new.Layers, layer("odd|name_*x*", 8, 8, 30))
	new.Sum() // total 500 -> 520, +4%
	d, err := Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := d.Write(&buf, Markdown); err != nil {
		t.Fatal(err)
	}
	want := "PCM writes under strategy `cell` (the new report's), old -> new\n" +
		"\n" +
		"| layer | matrix | old writes | new writes | change | note |\n" +
		"|---|---|---:|---:|---:|---|\n" +
		"| conv1 | 64 x 27 | 300 | 360 | +20.00% |  |\n" +
		"| head | 10 x 512 | 200 | 150 | -25.00% | renamed from fc |\n" +
		"| odd\\|name\\_\\*x\\* | 8 x 8 | - | 10 |  | added |\n" +
		"| **total** | | **500** | **520** | **+4.00%** | |\n" +
		"\n" +
		"Configuration differences (old -> new):\n" +
		"\n" +
		"- `bits`: `4` -> `6`\n" +
		"- `device_profile.endurance`: `100000000` -> `500000`\n"
	if buf.String() != want {
		t.Errorf("markdown\n%s\nwant\n%s", buf.String(), want)
	}
	// A table is only a table when every row has the header's cells.
	cells := -1
	for _, line := range strings.Split(buf.String(), "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		n := strings.Count(line, "|") - strings.Count(line, `\|`) - 1
		if cells < 0 {
			cells = n
		} else if n != cells {
			t.Errorf("%d cells, the header has %d: %s", n, cells, line)
		}
	}
	if cells != 6 {
		t.Errorf("header has %d cells, want 6", cells)
	}
}

func TestDiffText(t *testing.T) {
	old, new := versions()
	new.Config.Bits, new.Config.Device.Endurance = 6, 5e5
	d, err := Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := d.Write(&buf, Text); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"under strategy cell", "renamed from fc", "+2.00%", "configuration differences (old -> new):\n  bits: 4 -> 6\n  device_profile.endurance: 100000000 -> 500000\n"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, buf.String())
		}
	}
}

func TestDiffJSONRoundTrip(t *testing.T) {
	old, new := versions()
	new.Config.Bits, new.Config.Device.Endurance = 6, 5e5
	for _, pair := range [][2]*Report{{old, new}, {old, old}} {
		d, err := Compare(pair[0], pair[1])
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := d.Write(&buf, JSON); err != nil {
			t.Fatal(err)
		}
		var back Diff
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("%v:\n%s", err, buf.String())
		}
		if !reflect.DeepEqual(&back, d) {
			t.Errorf("decoded %+v, want %+v", back, *d)
		}
		var doc map[string]any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		// Pipelines read these names; a rename is a format_version change.
		for _, k := range []string{"format_version", "strategy", "layers", "old_total", "new_total", "growth_percent", "config_changes"} {
			if _, ok := doc[k]; !ok {
				t.Errorf("document lacks %s:\n%s", k, buf.String())
			}
		}
		if got, want := doc["growth_percent"], d.GrowthPercent(); got != want {
			t.Errorf("growth_percent %v, want %v", got, want)
		}
		if _, ok := doc["config_changes"].([]any); !ok {
			t.Errorf("config_changes is %v, want a list even when empty", doc["config_changes"])
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{{"text", true}, {"json", true}, {"markdown", true}, {"", false}, {"Markdown", false}, {"md", false}, {"html", false}} {
		f, err := ParseFormat(c.name)
		if c.ok && (err != nil || string(f) != c.name) {
			t.Errorf("ParseFormat(%q) = %q, %v", c.name, f, err)
		}
		if !c.ok && (err == nil || !strings.Contains(err.Error(), "text, json, markdown")) {
			t.Errorf("ParseFormat(%q): error %v, want one naming the formats", c.name, err)
		}
	}
}
