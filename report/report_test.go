package report

import (
	"bytes"
	"github.com/elight-photonic/elight/reorder"
	"strings"
	"testing"
)

func layer(name string, rows, cols int, writes int64) Layer {
	l := Layer{Name: name, Op: "Conv", Weight: name + ".weight", Rows: rows, Cols: cols}
	for i, s := range reorder.Strategies() {
		l.Writes.Set(s, writes/int64(i+1))
		l.MaxCellWrites.Set(s, writes/int64(100*(i+1)))
		l.Energy.Set(s, float64(writes)*9)
		l.LatencyUS.Set(s, float64(writes)/2)
	}
	return l
}

func newReport(layers ...Layer) *Report {
	r := &Report{FormatVersion: FormatVersion, Model: "m.onnx", Strategy: "cell", Layers: layers,
		Config: Config{Bits: 4, Block: 64, PCMLoss: 0.128, Scale: "tensor"}}
	r.Sum()
	return r
}

func TestSum(t *testing.T) {
	r := newReport(layer("a", 64, 27, 1200), layer("b", 128, 576, 3000))
	if got, want := r.Totals.Writes.None, int64(4200); got != want {
		t.Errorf("total none writes %d, want %d", got, want)
	}
	if got, want := r.Totals.Writes.Cell, int64(1200/3+3000/3); got != want {
		t.Errorf("total cell writes %d, want %d", got, want)
	}
	if got, want := r.Totals.MaxCellWrites.None, int64(30); got != want {
		t.Errorf("max cell writes %d, want the largest layer's %d", got, want)
	}
}

func TestMarshalRoundTripAndDeterminism(t *testing.T) {
	r := newReport(layer("a", 64, 27, 1200))
	a, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.Marshal()
	if !bytes.Equal(a, b) {
		t.Fatal("two encodings of one report differ")
	}
	for _, field := range []string{`"layers"`, `"name": "a"`, `"weight": "a.weight"`, `"writes"`, `"none"`, `"column"`, `"max_cell_writes"`, `"energy"`, `"latency_us"`, `"totals"`, `"strategy": "cell"`} {
		if !bytes.Contains(a, []byte(field)) {
			t.Errorf("JSON lacks %s", field)
		}
	}
	back, err := Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if back.Totals != r.Totals || back.Layers[0] != r.Layers[0] {
		t.Error("decoded report differs")
	}
}

// TestDecodeOlderReport: a report written before scale_headroom existed
// used alpha = max|w|, so it compares equal to a headroom-1 configuration.
func TestDecodeOlderReport(t *testing.T) {
	r := newReport(layer("a", 64, 27, 1200))
	r.Config.ScaleHeadroom = 1
	current, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	older := bytes.Replace(current, []byte(`"scale_headroom": 1,`), nil, 1)
	if bytes.Equal(older, current) {
		t.Fatal("the encoding has no scale_headroom field to remove")
	}
	back, err := Decode(bytes.NewReader(older))
	if err != nil {
		t.Fatal(err)
	}
	if back.Config != r.Config {
		t.Errorf("older report's config %+v, want %+v", back.Config, r.Config)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, doc := range []string{"", "[]", `{"format_version": 7, "strategy": "cell"}`, `{"format_version": 1, "strategy": "fastest"}`} {
		if _, err := Decode(strings.NewReader(doc)); err == nil {
			t.Errorf("Decode(%q) accepted it", doc)
		}
	}
}

func TestCompareMatchesLayers(t *testing.T) {
	old := newReport(layer("conv1", 64, 27, 1000), layer("conv2", 128, 576, 5000), layer("fc", 10, 512, 300), layer("gone", 32, 32, 50))
	new := newReport(layer("conv1", 64, 27, 900), layer("block.conv2", 128, 576, 6000), layer("extra", 256, 256, 700), layer("fc", 10, 512, 300))
	d, err := Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		change   Change
		old, new string
	}{
		{Same, "conv1", "conv1"},
		{Renamed, "conv2", "block.conv2"},
		{Added, "", "extra"},
		{Same, "fc", "fc"},
		{Removed, "gone", ""},
	}
	if len(d.Layers) != len(want) {
		t.Fatalf("%d layer diffs, want %d: %+v", len(d.Layers), len(want), d.Layers)
	}
	for i, w := range want {
		l := d.Layers[i]
		if l.Change != w.change || l.OldName != w.old || l.NewName != w.new {
			t.Errorf("layer %d: %s %q -> %q, want %s %q -> %q", i, l.Change, l.OldName, l.NewName, w.change, w.old, w.new)
		}
	}
	// cell writes are a third of the layer figure in these fixtures
	if got, want := d.GrowthPercent(), 100*float64((900+6000+700+300)/3-(1000+5000+300+50)/3)/float64((1000+5000+300+50)/3); got-want > 1 || want-got > 1 {
		t.Errorf("growth %.2f%%, want about %.2f%%", got, want)
	}
	var buf bytes.Buffer
	if err := d.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"renamed from conv2", "added", "removed", "total"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("diff table lacks %q:\n%s", s, buf.String())
		}
	}
}
