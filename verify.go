package elight

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
	"github.com/elight-photonic/elight/report"
)

// VerifiedLayer is one layer of a schedule that Verify replayed, with the
// costs the replay observed.
type VerifiedLayer struct {
	Name string
	reorder.Stats
}

// Verify replays schedule, the bytes of a schedule file, against m, the
// annotated model written with it: the schedule's levels must dequantize
// to exactly m's weights, programming the cores in the schedule's order
// must accumulate the same products as the levels times an input
// (reorder.Replay), and the writes must equal what m's metadata records
// and, when rep is not nil, every layer's writes, most-written cell,
// energy and latency in the report. It returns the replayed layers and
// their total.
func Verify(m *onnxio.Model, schedule []byte, rep *report.Report) ([]VerifiedLayer, reorder.Stats, error) {
	var total reorder.Stats
	meta := m.Metadata()
	if want := meta["elight.schedule_sha256"]; want == "" {
		return nil, total, fmt.Errorf("%s has no elight metadata: verify checks models written by 'elight optimize'", m.Path)
	} else if got := Digest(schedule); got != want {
		return nil, total, fmt.Errorf("the schedule is not the one written with %s (its SHA-256 is %.12s…, the model records %.12s…)", m.Path, got, want)
	}
	sched, err := reorder.ReadSchedule(bytes.NewReader(schedule))
	if err != nil {
		return nil, total, fmt.Errorf("schedule: %w", err)
	}
	var config report.Config
	if err := json.Unmarshal([]byte(meta["elight.config"]), &config); err != nil {
		return nil, total, fmt.Errorf("%s: metadata elight.config: %w", m.Path, err)
	}
	profile := reorder.Profile(config.Device)
	layers := map[string]onnxio.Layer{}
	for _, l := range m.Graph.PhotonicLayers() {
		layers[l.Weight] = l
	}
	var out []VerifiedLayer
	for i, sl := range sched.Layers {
		l, ok := layers[sl.Weight]
		if !ok {
			return nil, total, fmt.Errorf("schedule layer %q: %s has no photonic layer with weight %q", sl.Name, m.Path, sl.Weight)
		}
		weights := l.Matrix(m.Graph.Initializers[sl.Weight])
		if err := sameWeights(sl.Levels, weights); err != nil {
			return nil, total, fmt.Errorf("layer %q: %w", sl.Name, err)
		}
		st, err := reorder.Replay(sl.Levels, sl.Order, profile)
		if err != nil {
			return nil, total, fmt.Errorf("layer %q: %w", sl.Name, err)
		}
		if rep != nil {
			if err := compareLayer(rep, i, sl, st); err != nil {
				return nil, total, fmt.Errorf("report: %w", err)
			}
		}
		total.Add(st)
		out = append(out, VerifiedLayer{Name: sl.Name, Stats: st})
	}
	var writes report.PerStrategy[int64]
	if err := json.Unmarshal([]byte(meta["elight.writes"]), &writes); err != nil {
		return nil, total, fmt.Errorf("%s: metadata elight.writes: %w", m.Path, err)
	}
	if recorded := writes.Get(sched.Header.Strategy); total.Writes != recorded {
		return nil, total, fmt.Errorf("replaying the schedule gives %d writes, %s records %d", total.Writes, m.Path, recorded)
	}
	return out, total, nil
}

// sameWeights checks that the schedule's levels dequantize to exactly the
// weights the annotated model holds.
func sameWeights(lv *quantize.Levels, weights []float32) error {
	deq := lv.Dequantized()
	if len(deq) != len(weights) {
		return fmt.Errorf("schedule has %d levels, the model's weight %d elements", len(deq), len(weights))
	}
	for i := range deq {
		if deq[i] != weights[i] {
			return fmt.Errorf("element [%d, %d]: the schedule's level %d stands for %g, the model holds %g",
				i/lv.Cols, i%lv.Cols, lv.Signed[i], deq[i], weights[i])
		}
	}
	return nil
}

// compareLayer checks layer i of the report against the replayed figures.
func compareLayer(rep *report.Report, i int, sl reorder.ScheduleLayer, st reorder.Stats) error {
	if i >= len(rep.Layers) || rep.Layers[i].Name != sl.Name {
		return fmt.Errorf("layer %d is not %q: the report belongs to another run", i, sl.Name)
	}
	l := &rep.Layers[i]
	s := rep.Strategy
	writes := l.Writes.Get(s)
	maxCell := l.MaxCellWrites.Get(s)
	energy := l.Energy.Get(s)
	latency := l.LatencyUS.Get(s)
	if writes != st.Writes || maxCell != st.MaxCellWrites || !nearlyEqual(energy, st.Energy) || !nearlyEqual(latency, st.LatencyUS) {
		return fmt.Errorf("layer %q: the report records %d writes, max cell %d, energy %g, latency %g us; replaying gives %d, %d, %g, %g",
			sl.Name, writes, maxCell, energy, latency, st.Writes, st.MaxCellWrites, st.Energy, st.LatencyUS)
	}
	return nil
}

func nearlyEqual(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(math.Abs(a), math.Abs(b), 1) }
