package elight

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

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

// Verified is what Verify replayed: every layer on cores of its own, their
// total, and the chip plan's steady state when the schedule has one.
type Verified struct {
	Layers []VerifiedLayer
	Total  reorder.Stats
	Chip   *reorder.ChipStats
}

// Verify replays schedule, the bytes of a schedule file, against m, the
// annotated model written with it: the schedule's levels must dequantize
// to exactly m's weights, programming the cores in the schedule's order
// must accumulate the same products as the levels times an input
// (reorder.Replay), and the writes must equal what m's metadata records
// and, when rep is not nil, every layer's writes, most-written cell,
// energy and latency in the report. A chip plan in the schedule is
// replayed too (reorder.ReplayChip) and checked against the model's
// "elight.chip" metadata and the report's chip section.
func Verify(m *onnxio.Model, schedule []byte, rep *report.Report) (*Verified, error) {
	return VerifyFrom(m, bytes.NewReader(schedule), int64(len(schedule)), rep)
}

// VerifyFrom is Verify for the schedule of size bytes that r holds, such as
// an open file: it decodes and replays one layer at a time, so that a
// schedule of gigabytes (that of a model over 2 GiB) is never held whole.
// A schedule with a chip plan is read whole, as the plan spans every
// layer.
func VerifyFrom(m *onnxio.Model, r io.ReaderAt, size int64, rep *report.Report) (*Verified, error) {
	var total reorder.Stats
	meta := m.Metadata()
	if want := meta["elight.schedule_sha256"]; want == "" {
		return nil, fmt.Errorf("%s has no elight metadata: verify checks models written by 'elight optimize'", m.Path)
	} else if got, err := digestOf(io.NewSectionReader(r, 0, size)); err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	} else if got != want {
		return nil, fmt.Errorf("the schedule is not the one written with %s (its SHA-256 is %.12s…, the model records %.12s…)", m.Path, got, want)
	}
	sf, err := reorder.OpenSchedule(r, size)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	var sched *reorder.Schedule
	if sf.Header.Chip != nil {
		if sched, err = reorder.ReadSchedule(io.NewSectionReader(r, 0, size)); err != nil {
			return nil, fmt.Errorf("schedule: %w", err)
		}
	}
	var config report.Config
	if err := json.Unmarshal([]byte(meta["elight.config"]), &config); err != nil {
		return nil, fmt.Errorf("%s: metadata elight.config: %w", m.Path, err)
	}
	profile := reorder.Profile(config.Device)
	layers := map[string]onnxio.Layer{}
	for _, l := range m.Graph.PhotonicLayers() {
		layers[l.Weight] = l
	}
	var out []VerifiedLayer
	for i := range sf.Header.Layers {
		var sl *reorder.ScheduleLayer
		if sched != nil {
			sl = &sched.Layers[i]
		} else if sl, err = sf.Layer(i); err != nil {
			return nil, fmt.Errorf("schedule: %w", err)
		}
		l, ok := layers[sl.Weight]
		if !ok {
			return nil, fmt.Errorf("schedule layer %q: %s has no photonic layer with weight %q", sl.Name, m.Path, sl.Weight)
		}
		weights := l.Matrix(m.Graph.Initializers[sl.Weight])
		if err := sameWeights(sl.Levels, weights); err != nil {
			return nil, fmt.Errorf("layer %q: %w", sl.Name, err)
		}
		st, err := reorder.Replay(sl.Levels, sl.Order, profile)
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", sl.Name, err)
		}
		if rep != nil {
			if err := compareLayer(rep, i, *sl, st); err != nil {
				return nil, fmt.Errorf("report: %w", err)
			}
		}
		total.Add(st)
		out = append(out, VerifiedLayer{Name: sl.Name, Stats: st})
	}
	var writes report.PerStrategy[int64]
	if err := json.Unmarshal([]byte(meta["elight.writes"]), &writes); err != nil {
		return nil, fmt.Errorf("%s: metadata elight.writes: %w", m.Path, err)
	}
	if recorded := writes.Get(sf.Header.Strategy); total.Writes != recorded {
		return nil, fmt.Errorf("replaying the schedule gives %d writes, %s records %d", total.Writes, m.Path, recorded)
	}
	chip, err := verifyChip(m, sched, profile, rep)
	if err != nil {
		return nil, err
	}
	return &Verified{Layers: out, Total: total, Chip: chip}, nil
}

// verifyChip replays the schedule's chip plan, when it has one (sched is
// nil for a schedule without one), and checks the steady-state figures
// against the model's "elight.chip" metadata and, when rep is not nil, the
// report's chip section.
func verifyChip(m *onnxio.Model, sched *reorder.Schedule, profile reorder.Profile, rep *report.Report) (*reorder.ChipStats, error) {
	recorded := m.Metadata()["elight.chip"]
	if sched == nil || sched.Chip == nil {
		if recorded != "" {
			return nil, fmt.Errorf("%s records a chip plan, the schedule has none", m.Path)
		}
		return nil, nil
	}
	var meta chipMetadata
	if err := json.Unmarshal([]byte(recorded), &meta); err != nil {
		return nil, fmt.Errorf("%s: metadata elight.chip: %w", m.Path, err)
	}
	var levels []*quantize.Levels
	var orders []*reorder.Order
	for _, sl := range sched.Layers {
		levels = append(levels, sl.Levels)
		orders = append(orders, sl.Order)
	}
	st, err := reorder.ReplayChip(levels, orders, *sched.Chip, profile)
	if err != nil {
		return nil, fmt.Errorf("chip plan: %w", err)
	}
	if meta.Cores != sched.Chip.Cores || meta.Writes != st.Writes || meta.MaxCellWrites != st.MaxCellWrites {
		return nil, fmt.Errorf("replaying the chip plan on %d cores gives %d writes, most-written cell %d; %s records %d cores, %d, %d",
			sched.Chip.Cores, st.Writes, st.MaxCellWrites, m.Path, meta.Cores, meta.Writes, meta.MaxCellWrites)
	}
	if rep == nil {
		return &st, nil
	}
	c := rep.Chip
	if c == nil {
		return nil, fmt.Errorf("report: no chip section, the schedule has a chip plan")
	}
	s := rep.Strategy
	if c.Cores != sched.Chip.Cores || len(c.CellWrites) != c.Cores || c.Levelled.Writes.Get(s) != st.Writes || c.Levelled.MaxCellWrites.Get(s) != st.MaxCellWrites ||
		!nearlyEqual(c.Levelled.Energy.Get(s), st.Energy) || !nearlyEqual(c.Levelled.LatencyUS.Get(s), st.LatencyUS) {
		return nil, fmt.Errorf("report: the chip section records %d cores, %d writes, most-written cell %d, energy %g, latency %g us; replaying gives %d, %d, %d, %g, %g",
			c.Cores, c.Levelled.Writes.Get(s), c.Levelled.MaxCellWrites.Get(s), c.Levelled.Energy.Get(s), c.Levelled.LatencyUS.Get(s),
			sched.Chip.Cores, st.Writes, st.MaxCellWrites, st.Energy, st.LatencyUS)
	}
	kk := st.K * st.K
	for core, cells := range c.CellWrites {
		if !slices.Equal(cells, st.CellWrites[core*kk:(core+1)*kk]) {
			return nil, fmt.Errorf("report: the writes per cell of core %d differ from the replay's", core)
		}
	}
	return &st, nil
}

// sameWeights checks that the schedule's levels dequantize to exactly the
// weights the annotated model holds, as quantize.Levels.DequantizeTo would
// write them, element by element rather than into a copy of the layer.
func sameWeights(lv *quantize.Levels, weights []float32) error {
	if len(lv.Signed) != len(weights) {
		return fmt.Errorf("schedule has %d levels, the model's weight %d elements", len(lv.Signed), len(weights))
	}
	q, err := quantize.NewQuantizer(lv.Config)
	if err != nil {
		return err
	}
	for r := range lv.Rows {
		alpha := lv.Alpha(r)
		for col := range lv.Cols {
			i := r*lv.Cols + col
			if want := float32(q.Dequantize(int(lv.Signed[i]), alpha)); want != weights[i] {
				return fmt.Errorf("element [%d, %d]: the schedule's level %d stands for %g, the model holds %g",
					r, col, lv.Signed[i], want, weights[i])
			}
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

// digestOf is Digest of what r reads.
func digestOf(r io.Reader) (string, error) {
	d := newDigester()
	if _, err := io.Copy(d, r); err != nil {
		return "", err
	}
	return d.String(), nil
}
