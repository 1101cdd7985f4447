package finetune

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/elight-photonic/elight/onnxio"
)

// rewindableBatches is cyclingBatches with a position counted in batches.
type rewindableBatches struct {
	*cyclingBatches
	batch int // samples per batch
	pos   int
}

func (b *rewindableBatches) Next(x []float32) ([]int64, error) {
	b.pos++
	return b.cyclingBatches.Next(x)
}

func (b *rewindableBatches) Position() int { return b.pos }

func (b *rewindableBatches) Seek(pos int) {
	b.pos = pos
	b.next = pos * b.batch % (len(b.x) / b.size)
}

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
// the accuracy; after one that does not, the search goes back to the best
// checkpoint and lambda closes in from there.
func TestSearchControlsLambda(t *testing.T) {
	sm := &scriptedMeasure{t: t,
		//               pretrained seg 1  seg 2 seg 3  seg 4  seg 5
		accuracies: []float64{0.95, 0.94, 0.92, 0.80, 0.91, 0.85},
		writes:     []int64{1000, 800, 600, 300, 500, 400},
	}
	m := readResnet(t)
	res, err := Search(context.Background(), m, &rewindableBatches{cyclingBatches: resnetBatches(t, true), batch: 8}, searchConfig(), sm.measure, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Segment{
		{Index: 1, From: 0, Lambda: 0.5},
		{Index: 2, From: 1, Lambda: 1},
		{Index: 3, From: 2, Lambda: 2},    // overshoots: back to segment 2
		{Index: 4, From: 2, Lambda: 1},    // 2 / 2, the factor becomes sqrt 2
		{Index: 5, From: 4, Lambda: 1.41}, // 1 x sqrt 2, overshoots
	}
	for i, s := range res.Segments {
		if s.Index != want[i].Index || s.From != want[i].From || int(s.Lambda*100) != int(want[i].Lambda*100) {
			t.Errorf("segment %d: index %d from %d lambda %g, want from %d lambda %g", i+1, s.Index, s.From, s.Lambda, want[i].From, want[i].Lambda)
		}
	}
	if len(res.Segments) != 5 || res.Stopped != "segments" {
		t.Fatalf("%d segments, stopped by %q; want 5, stopped by segments", len(res.Segments), res.Stopped)
	}
	if res.Chosen != 4 {
		t.Errorf("chose %d, want segment 4 (500 writes, the fewest of those that met 0.9)", res.Chosen)
	}
	lineage := res.Lineage(res.Chosen)
	if got := []int{lineage[0].Index, lineage[1].Index, lineage[2].Index}; len(lineage) != 3 || !slices.Equal(got, []int{1, 2, 4}) {
		t.Errorf("lineage of segment 4: %v, want segments 1, 2, 4", lineage)
	}
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
	res, err := Search(context.Background(), searched, &rewindableBatches{cyclingBatches: resnetBatches(t, true), batch: 8}, cfg, script().measure, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Chosen != 3 {
		t.Fatalf("chose %d, want segment 3", res.Chosen)
	}
	var lambdas []float64
	for _, s := range res.Lineage(res.Chosen) {
		lambdas = append(lambdas, s.Lambda)
	}
	replayed := readResnet(t)
	if err := TrainSchedule(context.Background(), replayed, resnetBatches(t, true), cfg.Train, lambdas, nil); err != nil {
		t.Fatal(err)
	}
	again := readResnet(t)
	if _, err := Search(context.Background(), again, &rewindableBatches{cyclingBatches: resnetBatches(t, true), batch: 8}, cfg, script().measure, nil, nil); err != nil {
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

// TestSearchUnmetBudgetKeepsModel: when no checkpoint reaches the
// accuracy, nothing is chosen, the model keeps its weights, and Closest
// names the best attempt.
func TestSearchUnmetBudgetKeepsModel(t *testing.T) {
	sm := &scriptedMeasure{t: t, accuracies: []float64{0.85, 0.80, 0.88, 0.70}, writes: []int64{1000, 900, 800, 700}}
	cfg := searchConfig()
	cfg.Segments = 3
	m := readResnet(t)
	res, err := Search(context.Background(), m, &rewindableBatches{cyclingBatches: resnetBatches(t, true), batch: 8}, cfg, sm.measure, nil, nil)
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
	res, err := Search(context.Background(), readResnet(t), &rewindableBatches{cyclingBatches: resnetBatches(t, true), batch: 8}, cfg, sm.measure, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != "deadline" || len(res.Segments) != 0 || res.Chosen != 0 {
		t.Errorf("stopped by %q after %d segments choosing %d; want the deadline, 0 segments, the pretrained weights", res.Stopped, len(res.Segments), res.Chosen)
	}
}
