package reorder

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/quantize"
)

// inferenceOf partitions the level matrices at block k and plans each
// with strategy s.
func inferenceOf(t testing.TB, k int, s Strategy, levels ...*quantize.Levels) Inference {
	t.Helper()
	var inf Inference
	for _, lv := range levels {
		l := mustPartition(t, lv, k)
		inf.Layers = append(inf.Layers, l)
		inf.Orders = append(inf.Orders, mustPlan(t, l, s))
	}
	return inf
}

// TestAccountChipByHand checks the steady state on cells whose level
// sequences are worked out by hand. With K = 1 a layer [1, q] is one
// block row of q one-cell blocks, programmed in the original order.
func TestAccountChipByHand(t *testing.T) {
	a := levelsOf(4, []int16{2, -1}) // one cell: 2, -1
	b := levelsOf(4, []int16{1})     // one cell: 1
	c := levelsOf(4, []int16{3}, []int16{-2})
	tests := []struct {
		name          string
		levels        []*quantize.Levels
		cores         int
		writes, peak  int64
		up, down      int64
		latencyUS     float64
		cellWrites    []int64
		levelledPeak  int64
		levelledTotal int64
	}{
		// One core cycles 2, -1, 2, ...: |2 - -1| + |-1 - 2| = 6. A step
		// takes as long as its slowest array: -1 -> 2 lowers the negative
		// array one level (20 us), 2 -> -1 the positive array two (40 us).
		{name: "one layer, one core", levels: []*quantize.Levels{a}, cores: 1, writes: 6, peak: 6, up: 3, down: 3,
			latencyUS: 20 + 40, cellWrites: []int64{6}, levelledPeak: 6, levelledTotal: 6},
		// 2, -1, 1, 2, ...: 3 + 2 + 1.
		{name: "two layers, one core", levels: []*quantize.Levels{a, b}, cores: 1, writes: 6, peak: 6, up: 3, down: 3,
			latencyUS: 0.5 + 40 + 20, cellWrites: []int64{6}, levelledPeak: 6, levelledTotal: 6},
		// Naive puts block row 0 of every layer on core 0, which cycles
		// 2, -1, 1 as above. Levelled puts layer b on the idle core 1,
		// which holds 1 and is never rewritten: core 0 cycles 2, -1 (6).
		{name: "two layers, two cores", levels: []*quantize.Levels{a, b}, cores: 2, writes: 6, peak: 6, up: 3, down: 3,
			latencyUS: 0.5 + 40 + 20, cellWrites: []int64{6, 0}, levelledPeak: 6, levelledTotal: 6},
		// Layer c has two block rows (3 and -2) on one core: 2, -1, 3, -2, 2:
		// 3 + 4 + 5 + 4 = 16.
		{name: "two block rows, one core", levels: []*quantize.Levels{a, c}, cores: 1, writes: 16, peak: 16, up: 8, down: 8,
			latencyUS: 40 + 40 + 20 + 60, cellWrites: []int64{16}, levelledPeak: 16, levelledTotal: 16},
		// Naive: core 0 cycles 2, -1, 3 (3 + 4 + 1 = 8); core 1 holds -2.
		// Levelled: the heavier block row goes to the idle core 1; core 0
		// cycles 2, -1, -2 (3 + 1 + 4 = 8) and core 1 holds 3. A tie.
		{name: "two block rows, two cores", levels: []*quantize.Levels{a, c}, cores: 2, writes: 8, peak: 8, up: 4, down: 4,
			latencyUS: 20 + 40 + 20, cellWrites: []int64{8, 0}, levelledPeak: 8, levelledTotal: 8},
	}
	for _, tt := range tests {
		inf := inferenceOf(t, 1, None, tt.levels...)
		p := DefaultProfile()
		got, err := AccountChip(inf, NaiveChipPlan(inf, tt.cores), p)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.Writes != tt.writes || got.MaxCellWrites != tt.peak || got.Up != tt.up || got.Down != tt.down ||
			got.LatencyUS != tt.latencyUS || fmt.Sprint(got.CellWrites) != fmt.Sprint(tt.cellWrites) {
			t.Errorf("%s: writes %d (up %d, down %d), peak %d, latency %g, cells %v; want %d (%d, %d), %d, %g, %v",
				tt.name, got.Writes, got.Up, got.Down, got.MaxCellWrites, got.LatencyUS, got.CellWrites,
				tt.writes, tt.up, tt.down, tt.peak, tt.latencyUS, tt.cellWrites)
		}
		r, err := PlanChip(inf, tt.cores, p)
		if err != nil {
			t.Fatal(err)
		}
		if r.Levelled.MaxCellWrites != tt.levelledPeak || r.Levelled.Writes != tt.levelledTotal {
			t.Errorf("%s: levelled peak %d, writes %d; want %d, %d", tt.name, r.Levelled.MaxCellWrites, r.Levelled.Writes, tt.levelledPeak, tt.levelledTotal)
		}
	}
}

// TestChipFitsProgramsOnce: when there are as many cores as block rows
// and each has one block, the levelled plan gives every block row its own
// core: the chip is programmed once and inferences write nothing. The
// naive plan puts block row 0 of both layers on core 0 and rewrites it.
func TestChipFitsProgramsOnce(t *testing.T) {
	rng := newRand(3)
	inf := inferenceOf(t, 8, Cell, randomLevels(rng, 20, 8, 4), randomLevels(rng, 8, 5, 4))
	r, err := PlanChip(inf, 4, DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	if r.Levelled.Writes != 0 || !math.IsInf(r.Levelled.Lifetime(DefaultProfile()), 1) {
		t.Errorf("levelled: %d writes, lifetime %g; want 0 and unlimited", r.Levelled.Writes, r.Levelled.Lifetime(DefaultProfile()))
	}
	if r.Naive.Writes == 0 {
		t.Error("naive: 0 writes, want core 0 rewritten every inference")
	}
}

// TestAccountChipMatchesReplay checks the accounting against the
// independent simulation, for every strategy, naive and levelled plans,
// and core counts below, at and above the block rows of a layer.
func TestAccountChipMatchesReplay(t *testing.T) {
	rng := newRand(7)
	var levels []*quantize.Levels
	for _, shape := range [][2]int{{37, 50}, {16, 70}, {9, 9}, {40, 24}} {
		levels = append(levels, randomLevels(rng, shape[0], shape[1], 3))
	}
	p := Profile{TUpUS: 0.5, TDownUS: 20, EUp: 9, EDown: 40, Endurance: 1e5}
	for _, s := range Strategies() {
		inf := inferenceOf(t, 8, s, levels...)
		for _, cores := range []int{1, 2, 3, 8} {
			r, err := PlanChip(inf, cores, p)
			if err != nil {
				t.Fatal(err)
			}
			for name, pair := range map[string]struct {
				plan ChipPlan
				st   ChipStats
			}{"naive": {r.NaivePlan, r.Naive}, "levelled": {r.LevelledPlan, r.Levelled}} {
				replayed, err := ReplayChip(levels, inf.Orders, pair.plan, p)
				if err != nil {
					t.Fatalf("%s, %d cores, %s: %v", s, cores, name, err)
				}
				if replayed.Stats != pair.st.Stats || fmt.Sprint(replayed.CellWrites) != fmt.Sprint(pair.st.CellWrites) {
					t.Errorf("%s, %d cores, %s: replay %+v, account %+v", s, cores, name, replayed.Stats, pair.st.Stats)
				}
			}
			if worse(r.Levelled.Stats, r.Naive.Stats) {
				t.Errorf("%s, %d cores: levelled %+v worse than naive %+v", s, cores, r.Levelled.Stats, r.Naive.Stats)
			}
		}
	}
}

// TestLevellingSpreadsWear: on layers whose block rows wear their cores
// unevenly, the levelled plan lowers the most-written cell by itself,
// without falling back to the naive plan.
func TestLevellingSpreadsWear(t *testing.T) {
	rng := newRand(11)
	var levels []*quantize.Levels
	for range 4 {
		lv := randomLevels(rng, 32, 64, 4)
		// The first rows of every block row swing across the whole
		// range; the rest stay near zero.
		for r := range lv.Rows {
			for c := range lv.Cols {
				if r%8 >= 2 {
					lv.Signed[r*lv.Cols+c] /= 8
				}
			}
		}
		levels = append(levels, lv)
	}
	inf := inferenceOf(t, 8, Cell, levels...)
	for _, cores := range []int{1, 2} {
		r, err := PlanChip(inf, cores, DefaultProfile())
		if err != nil {
			t.Fatal(err)
		}
		if r.FellBack || r.Levelled.MaxCellWrites >= r.Naive.MaxCellWrites {
			t.Errorf("%d cores: levelled peak %d (fell back %v), naive %d: want lower", cores, r.Levelled.MaxCellWrites, r.FellBack, r.Naive.MaxCellWrites)
		}
	}
}

func TestChipPlanValidate(t *testing.T) {
	inf := inferenceOf(t, 4, None, newLevels(8, 8, 4), newLevels(4, 4, 4))
	good := NaiveChipPlan(inf, 2) // layer 0: rows 0, 1 on cores 0, 1; layer 1: row 0 on core 0
	if err := good.Validate(inf); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(p *ChipPlan)
		err  string
	}{
		{"no cores", func(p *ChipPlan) { p.Cores = 0 }, "0 cores"},
		{"missing job", func(p *ChipPlan) { p.Jobs = p.Jobs[:2] }, "2 jobs, the layers 3 block rows"},
		{"twice", func(p *ChipPlan) { p.Jobs[1].BlockRow = 0 }, "runs twice"},
		{"core", func(p *ChipPlan) { p.Jobs[0].Core = 2 }, "core 2 of 2"},
		{"shift", func(p *ChipPlan) { p.Jobs[0].RowShift = 4 }, "row shift 4"},
		{"layer order", func(p *ChipPlan) { p.Jobs[0], p.Jobs[2] = p.Jobs[2], p.Jobs[0] }, "out of order"},
		{"block row", func(p *ChipPlan) { p.Jobs[2].BlockRow = 1 }, "block row 1 of layer 1"},
	}
	for _, tt := range tests {
		plan := ChipPlan{Cores: good.Cores, Jobs: append([]Job(nil), good.Jobs...)}
		tt.edit(&plan)
		if err := plan.Validate(inf); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.err)
		}
	}
}

// TestReplayChipChecksOutputs: a plan whose shift the replay applies to
// some rows but not to the outputs would compute the wrong products; a
// replay of levels that differ from the orders' layers is caught.
func TestReplayChipChecksOutputs(t *testing.T) {
	lv := levelsOf(4, []int16{1, 2}, []int16{3, -4})
	inf := inferenceOf(t, 2, None, lv)
	plan := NaiveChipPlan(inf, 1)
	plan.Jobs[0].RowShift = 1
	if _, err := ReplayChip([]*quantize.Levels{lv}, inf.Orders, plan, DefaultProfile()); err != nil {
		t.Fatalf("shifted rows: %v", err)
	}
	other := levelsOf(4, []int16{1, 2})
	if _, err := ReplayChip([]*quantize.Levels{other}, inf.Orders, plan, DefaultProfile()); err == nil {
		t.Error("replay of levels of another shape succeeded")
	}
}
