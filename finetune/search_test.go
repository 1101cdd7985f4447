package finetune

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/elight-photonic/elight/onnxio"
)

// scriptedMeasure answers the search's measurements from a script: call i
// gets accuracies[i] and writes[i]. It stores each checkpoint into a copy
// of the model, as a real measurement does.
type scriptedMeasure struct {
	t          *testing.T
	accuracies []float64
	writes     []int64
	calls      int
}

func (s *scriptedMeasure) measure(_ context.Context, store func(*onnxio.Model)) (Measurement, error) {
	m := readResnet(s.t)
	store(m)
	i := s.calls
	s.calls++
	return Measurement{Accuracy: s.accuracies[i], Writes: s.writes[i]}, nil
}

func readResnet(t *testing.T) *onnxio.Model {
	t.Helper()
	m, err := onnxio.Read("../testdata/resnet/resnet_bnfold_op13.onnx")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func searchConfig() SearchConfig {
	cfg := testConfig()
	cfg.Norm, cfg.Lambda, cfg.Steps, cfg.Warmup, cfg.Schedule = Cell, 0.5, 3, 1, "cosine"
	return SearchConfig{Train: cfg, MinAccuracy: 0.9, Segments: 5}
}

// TestSearchControlsLambda: lambda doubles after each segment that keeps
// the accuracy and falls after one that does not, closing in with a
// smaller factor at each change of direction; the kept checkpoint is the
// one with the fewest writes among those that kept the accuracy.
func TestSearchControlsLambda(t *testing.T) {
	sm := &scriptedMeasure{t: t,
		//                   pretrained seg 1  seg 2 seg 3  seg 4  seg 5
		accuracies: []float64{0.95, 0.94, 0.92, 0.80, 0.91, 0.85},
		writes:     []int64{1000, 800, 600, 300, 500, 400},
	}
	m := readResnet(t)
	res, err := Search(context.Background(), m, resnetBatches(t, true), searchConfig(), sm.measure, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, r4 := math.Sqrt(2), math.Pow(2, 0.25)
	want := []float64{0.5, 1, 2, 2 / r2, 2 / r2 * r4}
	if len(res.Segments) != 5 || res.Stopped != "segments" {
		t.Fatalf("%d segments, stopped by %q; want 5, stopped by segments", len(res.Segments), res.Stopped)
	}
	for i, s := range res.Segments {
		if s.Index != i+1 || math.Abs(s.Lambda-want[i]) > 1e-12 {
			t.Errorf("segment %d: index %d lambda %g, want lambda %g", i+1, s.Index, s.Lambda, want[i])
		}
	}
	if res.Chosen != 4 {
		t.Errorf("chose %d, want segment 4 (500 writes, the fewest of those that met 0.9)", res.Chosen)
	}
	if got := lambdasOf(res.Lineage(4)); !slices.Equal(got, want[:4]) {
		t.Errorf("lineage of segment 4: %v, want %v", got, want[:4])
	}
}

// lambdasOf returns the segments' lambdas.
func lambdasOf(segments []Segment) []float64 {
	var lambdas []float64
	for _, s := range segments {
		lambdas = append(lambdas, s.Lambda)
	}
	return lambdas
}

// TestSearchReplaysAsFixedSchedule: training the chosen checkpoint's
// lineage as a fixed schedule gives the searched weights bit for bit, and
// so does a second search.
func TestSearchReplaysAsFixedSchedule(t *testing.T) {
	script := func() *scriptedMeasure {
		return &scriptedMeasure{t: t,
			accuracies: []float64{0.95, 0.94, 0.80, 0.93, 0.80},
			writes:     []int64{1000, 800, 300, 700, 200},
		}
	}
	cfg := searchConfig()
	cfg.Segments = 4
	searched := readResnet(t)
	res, err := Search(context.Background(), searched, resnetBatches(t, true), cfg, script().measure, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Chosen != 3 {
		t.Fatalf("chose %d, want segment 3", res.Chosen)
	}
	if len(res.Lineage(3)) != 3 {
		t.Fatalf("lineage %v, want three lambdas", res.Lineage(3))
	}
	lambdas := lambdasOf(res.Lineage(res.Chosen))
	replayed := readResnet(t)
	if err := TrainSchedule(context.Background(), replayed, resnetBatches(t, true), cfg.Train, lambdas, nil); err != nil {
		t.Fatal(err)
	}
	again := readResnet(t)
	if _, err := Search(context.Background(), again, resnetBatches(t, true), cfg, script().measure, nil, nil); err != nil {
		t.Fatal(err)
	}
	pretrained := readResnet(t)
	changed := 0
	for name, want := range searched.Graph.Initializers {
		if !slices.Equal(replayed.Graph.Initializers[name].Float, want.Float) {
			t.Errorf("initializer %q: the replay of lambdas %v differs from the search", name, lambdas)
		}
		if !slices.Equal(again.Graph.Initializers[name].Float, want.Float) {
			t.Errorf("initializer %q differs between two searches", name)
		}
		if !slices.Equal(pretrained.Graph.Initializers[name].Float, want.Float) {
			changed++
		}
	}
	if changed == 0 {
		t.Error("the search left every weight as it was")
	}
}

// TestSearchDropsDivergedSegment: a segment that loses more than half the
// accuracy it started from is dropped, however few its writes; the next
// trains again from where it started, data included, at half the learning
// rate and the same lambda; the lineage leaves the dropped segment out, and
// its replay at the segments' learning rates gives the searched weights bit
// for bit.
func TestSearchDropsDivergedSegment(t *testing.T) {
	sm := &scriptedMeasure{t: t,
		//                   pretrained seg 1  seg 2 (diverged) seg 3  seg 4
		accuracies: []float64{0.95, 0.94, 0.30, 0.93, 0.80},
		writes:     []int64{1000, 800, 100, 700, 200},
	}
	cfg := searchConfig()
	cfg.Segments = 4
	searched := readResnet(t)
	res, err := Search(context.Background(), searched, resnetBatches(t, true), cfg, sm.measure, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lr := cfg.Train.LR
	want := []struct {
		lambda, lr    float64
		met, diverged bool
	}{
		{0.5, lr, true, false},
		{1, lr, false, true},
		{1, lr / 2, true, false},
		{2, lr / 2, false, false},
	}
	if len(res.Segments) != len(want) {
		t.Fatalf("%d segments, want %d", len(res.Segments), len(want))
	}
	for i, s := range res.Segments {
		w := want[i]
		if s.Lambda != w.lambda || s.LR != w.lr || s.Met != w.met || s.Diverged != w.diverged {
			t.Errorf("segment %d: lambda %g lr %g met %v diverged %v; want %g, %g, %v, %v",
				s.Index, s.Lambda, s.LR, s.Met, s.Diverged, w.lambda, w.lr, w.met, w.diverged)
		}
	}
	if res.Chosen != 3 {
		t.Fatalf("chose %d, want segment 3 (the diverged segment 2 has fewer writes but is no candidate)", res.Chosen)
	}
	lineage := res.Lineage(3)
	if len(lineage) != 2 || lineage[0].Index != 1 || lineage[1].Index != 3 {
		t.Fatalf("lineage of segment 3: %+v, want segments 1 and 3", lineage)
	}
	replay := cfg.Train
	replay.SegmentLR = []float64{lineage[0].LR, lineage[1].LR}
	replayed := readResnet(t)
	if err := TrainSchedule(context.Background(), replayed, resnetBatches(t, true), replay, lambdasOf(lineage), nil); err != nil {
		t.Fatal(err)
	}
	for name, w := range searched.Graph.Initializers {
		if !slices.Equal(replayed.Graph.Initializers[name].Float, w.Float) {
			t.Errorf("initializer %q: the replay of the lineage differs from the search", name)
		}
	}
}

// TestSearchUnmetBudgetKeepsModel: when no checkpoint reaches the
// accuracy, nothing is chosen, the model keeps its weights, and Closest
// names the best attempt.
func TestSearchUnmetBudgetKeepsModel(t *testing.T) {
	sm := &scriptedMeasure{t: t, accuracies: []float64{0.85, 0.80, 0.88, 0.70}, writes: []int64{1000, 900, 800, 700}}
	cfg := searchConfig()
	cfg.Segments = 3
	m := readResnet(t)
	res, err := Search(context.Background(), m, resnetBatches(t, true), cfg, sm.measure, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Chosen != -1 {
		t.Errorf("chose %d though nothing reached 0.9", res.Chosen)
	}
	if i, meas := res.Closest(); i != 2 || meas.Accuracy != 0.88 {
		t.Errorf("closest: checkpoint %d at %v, want segment 2 at 0.88", i, meas.Accuracy)
	}
	pretrained := readResnet(t)
	for name, want := range pretrained.Graph.Initializers {
		if !slices.Equal(m.Graph.Initializers[name].Float, want.Float) {
			t.Fatalf("initializer %q changed though nothing was chosen", name)
		}
	}
}

// TestSearchStopsAtDeadline: a deadline already past stops the search
// before its first segment; the pretrained weights, which meet the budget,
// are chosen.
func TestSearchStopsAtDeadline(t *testing.T) {
	sm := &scriptedMeasure{t: t, accuracies: []float64{0.95}, writes: []int64{1000}}
	cfg := searchConfig()
	cfg.Segments, cfg.Deadline = 0, time.Now().Add(-time.Second)
	res, err := Search(context.Background(), readResnet(t), resnetBatches(t, true), cfg, sm.measure, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != "deadline" || len(res.Segments) != 0 || res.Chosen != 0 {
		t.Errorf("stopped by %q after %d segments choosing %d; want the deadline, 0 segments, the pretrained weights", res.Stopped, len(res.Segments), res.Chosen)
	}
}

// TestNextLambda: the controller's step, worked out by hand.
func TestNextLambda(t *testing.T) {
	cases := []struct {
		name                 string
		lambda, factor       float64
		met, lastMet         bool
		wantLambda, wantStep float64
	}{
		{"met after met: the factor squares", 1, 1.2, true, true, 1.44, 1.44},
		{"met after met: the factor stops at 2", 1, 1.5, true, true, 2, 2},
		{"miss after a miss: the factor squares", 1, 1.25, false, false, 1 / 1.5625, 1.5625},
		{"met after a miss: its square root", 1, 4, true, false, 2, 2},
		{"miss after met: its square root", 1, 4, false, true, 0.5, 2},
		{"the square root stops at 1.05", 1, 1.06, false, true, 1 / 1.05, 1.05},
	}
	for _, c := range cases {
		lambda, factor := nextLambda(c.lambda, c.factor, c.met, c.lastMet)
		if math.Abs(lambda-c.wantLambda) > 1e-12 || math.Abs(factor-c.wantStep) > 1e-12 {
			t.Errorf("%s: lambda %g factor %g, want %g and %g", c.name, lambda, factor, c.wantLambda, c.wantStep)
		}
	}
}
