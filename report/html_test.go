package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/reorder"
)

// htmlReport is a small report with every optional section: three layers
// (one name needing escaping), accuracy, a fine-tuning search and, with
// chip, a chip of 3 cores of 4 x 4 cells.
func htmlReport(chip bool) *Report {
	const endurance = 3800
	r := newReport(layer("/features/features.0/Conv", 64, 27, 8757), layer("/features/features.4/Conv", 128, 576, 429951),
		layer("<odd>&name", 10, 512, 34664))
	r.Config.Device = Device{Name: "gst", TUpUS: 0.5, TDownUS: 20, EUp: 9, EDown: 40, Endurance: endurance}
	for i := range r.Layers {
		for _, s := range reorder.Strategies() {
			r.Layers[i].Lifetime.Set(s, Lifetime(r.Layers[i].MaxCellWrites.Get(s), endurance))
		}
	}
	r.Layers[0].MaxCellWrites.Block, r.Layers[0].Lifetime.Block = 0, 0 // unlimited: drawn to the top
	r.Sum()
	finetuned, quantized := 0.9, 0.8912
	r.Accuracy = &Accuracy{Samples: 10000, Float: 0.9004, Quantized: &quantized, Finetuned: &finetuned}
	r.Finetune = &Finetune{Data: "idx:fashion-mnist", Steps: 400, BatchSize: 64, Lambda: 0.01, Loss: "l1", Reference: "prev",
		Optimizer: "adam", LR: 1e-4, Schedule: "cosine", Seed: 1, Validation: 5000, LambdaSchedule: []float64{0.01, 0.02}, SegmentSteps: 200,
		Search: &Search{MaxDrop: 0.5, Budget: "5m", ValidationFloat: 0.91, MinValidation: 0.905, Chosen: 1, Stopped: "segments", Replay: "--steps 200",
			Checkpoints: []Checkpoint{{Index: 0, Validation: 0.9, Writes: 900, MaxCellWrites: 40, Met: true}, {Index: 1, Lambda: 0.01, Steps: 200, Validation: 0.906, Writes: 500, MaxCellWrites: 30, Met: true}}}}
	r.Finetune.WritesBefore.Set(r.Strategy, 900)
	r.Notes = []string{"a note"}
	if chip {
		r.Config.Block, r.Config.Cores = 4, 3
		c := &Chip{Cores: 3, FellBack: []reorder.Strategy{reorder.Sort}}
		for i, s := range reorder.Strategies() {
			c.Naive.Set(s, reorder.Stats{Writes: int64(1000 * (i + 1)), MaxCellWrites: int64(20 * (i + 1))}, endurance)
			c.Levelled.Set(s, reorder.Stats{Writes: int64(1000 * (i + 1)), MaxCellWrites: int64(15 * (i + 1))}, endurance)
		}
		for core := range 3 {
			cells := make([]int64, 16)
			for j := range cells {
				cells[j] = int64(core*16 + j)
			}
			c.CellWrites = append(c.CellWrites, cells)
		}
		r.Chip = c
	}
	return r
}

func renderHTML(t *testing.T, r *Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestWriteHTML(t *testing.T) {
	for _, tc := range []struct {
		chip bool
		svgs int // writes, lifetime; heat map, most-written cell, chip writes
	}{{false, 2}, {true, 5}} {
		r := htmlReport(tc.chip)
		page := renderHTML(t, r)
		if !strings.HasPrefix(page, "<!DOCTYPE html>\n") || !strings.HasSuffix(page, "</html>\n") {
			t.Errorf("chip %t: not a whole HTML document", tc.chip)
		}
		svgs := svgElements(t, page)
		if len(svgs) != tc.svgs {
			t.Errorf("chip %t: %d charts, want %d", tc.chip, len(svgs), tc.svgs)
		}
		for _, want := range []string{"/features/features.0/Conv", "/features/features.4/Conv", "&lt;odd&gt;&amp;name", "gst", "3800",
			"90.04%", "fine-tuning", "--steps 200", "a note", "unlimited"} {
			if !strings.Contains(page, want) {
				t.Errorf("chip %t: page lacks %q", tc.chip, want)
			}
		}
		if strings.Contains(page, "<odd>") {
			t.Errorf("chip %t: a layer name reached the page unescaped", tc.chip)
		}
		if got := strings.Count(svgs[0], "/features/features.4/Conv"); got != 1 {
			t.Errorf("chip %t: the writes chart names layer 2 %d times, want once on its axis", tc.chip, got)
		}
		for _, bad := range []string{"http://", "https://", "<script", "<link", "@import", "url("} {
			if strings.Contains(page, bad) {
				t.Errorf("chip %t: page refers to something outside it: %q", tc.chip, bad)
			}
		}
		// The only references are the images gonum/plot embeds.
		for rest := page; ; {
			i := strings.Index(rest, "href=")
			if i < 0 {
				break
			}
			if !strings.HasPrefix(rest[i:], `href="data:image/png;base64,`) {
				t.Errorf("chip %t: a reference that is not an inline PNG: %.60s", tc.chip, rest[i:])
			}
			rest = rest[i+1:]
		}
		if tc.chip {
			for _, want := range []string{"3 physical cores", "naive kept", "core 2", "row 3, column 3 of core 2: 47 writes"} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %q", want)
				}
			}
		}
	}
}

// svgElements returns the page's SVG elements, each checked to be
// well-formed XML.
func svgElements(t *testing.T, page string) []string {
	t.Helper()
	var svgs []string
	for rest := page; ; {
		i := strings.Index(rest, "<svg")
		if i < 0 {
			return svgs
		}
		j := strings.Index(rest[i:], "</svg>")
		if j < 0 {
			t.Fatal("an <svg> element is not closed")
		}
		svg := rest[i : i+j+len("</svg>")]
		dec := xml.NewDecoder(strings.NewReader(svg))
		for {
			if _, err := dec.Token(); err != nil {
				if !errors.Is(err, io.EOF) {
					t.Errorf("chart %d is not well-formed: %v", len(svgs), err)
				}
				break
			}
		}
		svgs = append(svgs, svg)
		rest = rest[i+j:]
	}
}

// TestWriteHTMLDeterministic: the same report gives the same bytes, also
// after a round trip through its JSON, as elight report reads it.
func TestWriteHTMLDeterministic(t *testing.T) {
	for _, chip := range []bool{false, true} {
		r := htmlReport(chip)
		a := renderHTML(t, r)
		data, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if b := renderHTML(t, back); a != b {
			t.Errorf("chip %t: two renderings of one report differ", chip)
		}
	}
}

func TestWriteHTMLRejectsBadChip(t *testing.T) {
	r := htmlReport(true)
	r.Chip.CellWrites[1] = r.Chip.CellWrites[1][:5]
	err := r.WriteHTML(io.Discard)
	if err == nil || !strings.Contains(err.Error(), "cell_writes of core 1 holds 5 cells, want 16") {
		t.Errorf("error %v; want one naming the core and its cell count", err)
	}
	r.Chip.CellWrites = nil
	if err := r.WriteHTML(io.Discard); err == nil || !strings.Contains(err.Error(), "cell_writes") {
		t.Errorf("error %v; want one naming cell_writes", err)
	}
}

// TestWriteHTMLAllZero: a report where nothing is written (all lifetimes
// unlimited, every cell alike) still draws, rather than panicking on an
// empty log axis or colour scale.
func TestWriteHTMLAllZero(t *testing.T) {
	r := htmlReport(true)
	for i := range r.Layers {
		r.Layers[i].Figures = Figures{}
	}
	r.Chip.Naive, r.Chip.Levelled = Figures{}, Figures{}
	for _, cells := range r.Chip.CellWrites {
		clear(cells)
	}
	r.Sum()
	if got := len(svgElements(t, renderHTML(t, r))); got != 5 {
		t.Errorf("%d charts, want 5", got)
	}
}
