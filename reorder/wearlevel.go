package reorder

import (
	"fmt"
	"slices"

	"github.com/elight-photonic/elight/quantize/parallel"
)

// ChipResult compares two plans of one inference on a chip: the naive
// layout and the wear-levelled one.
type ChipResult struct {
	NaivePlan, LevelledPlan ChipPlan
	Naive, Levelled         ChipStats
	// FellBack is true when the levelling heuristic did worse than the
	// naive layout on the most-written cell, so LevelledPlan is the naive
	// plan.
	FellBack bool
}

// PlanChip lays inf out on a chip of the given number of cores twice:
// naively (NaiveChipPlan) and wear-levelled, and accounts both. The
// levelled plan is never worse than the naive one on the most-written
// cell, and not worse on total writes when the two tie there.
func PlanChip(inf Inference, cores int, p Profile) (ChipResult, error) {
	if err := inf.validate(); err != nil {
		return ChipResult{}, err
	}
	if cores < 1 || cores > MaxCores {
		return ChipResult{}, fmt.Errorf("reorder: %d cores, want 1 to %d", cores, MaxCores)
	}
	var r ChipResult
	var err error
	r.NaivePlan = NaiveChipPlan(inf, cores)
	if r.Naive, err = AccountChip(inf, r.NaivePlan, p); err != nil {
		return r, err
	}
	r.LevelledPlan = levelledChipPlan(inf, cores)
	if r.Levelled, err = AccountChip(inf, r.LevelledPlan, p); err != nil {
		return r, err
	}
	if worse(r.Levelled.Stats, r.Naive.Stats) {
		r.LevelledPlan, r.Levelled, r.FellBack = r.NaivePlan, r.Naive, true
	}
	return r, nil
}

// worse orders plans by their most-written cell, then by total writes.
func worse(a, b Stats) bool {
	return a.MaxCellWrites > b.MaxCellWrites || a.MaxCellWrites == b.MaxCellWrites && a.Writes > b.Writes
}

// levelledChipPlan assigns block rows to cores greedily, layer by layer:
// the most-worn block rows first, each to the core and row shift that
// leave the most-written cell least written so far, counting the change
// from what the core holds. No core takes more than its share of a layer,
// ceil(p/cores) block rows, so a layer takes as few rounds as the naive
// layout. The wrap-around from one inference to the next is left to
// AccountChip; PlanChip keeps the naive plan where this one is worse.
func levelledChipPlan(inf Inference, cores int) ChipPlan {
	k := inf.Layers[0].K
	kk := k * k
	tr := newTransitions(inf.maxLevel())
	chip := &wornChip{k: k, wear: make([]int64, cores*kk), level: make([]int16, cores*kk), rowWear: make([]int64, cores*k)}
	plan := ChipPlan{Cores: cores}
	for li, l := range inf.Layers {
		p := l.BlockRows()
		costs := make([]*jobCost, p)
		parallel.Items(p, func(i int) { costs[i] = newJobCost(tr, l, inf.Orders[li], i) })
		byWear := make([]int, p)
		for i := range byWear {
			byWear[i] = i
		}
		slices.SortStableFunc(byWear, func(x, y int) int { return int(costs[y].peak - costs[x].peak) })

		share := (p + cores - 1) / cores
		onCore := make([][]Job, cores)
		for _, i := range byWear {
			best := placement{core: -1}
			for c := range cores {
				if len(onCore[c]) == share {
					continue
				}
				pl := chip.try(c, costs[i])
				if best.core < 0 || pl.peak < best.peak || pl.peak == best.peak && pl.change < best.change {
					best = pl
				}
			}
			chip.place(best, costs[i])
			onCore[best.core] = append(onCore[best.core], Job{Layer: li, BlockRow: i, Core: best.core, RowShift: best.shift})
		}
		for r := range share {
			for c := range cores {
				if r < len(onCore[c]) {
					plan.Jobs = append(plan.Jobs, onCore[c][r])
				}
			}
		}
	}
	return plan
}

// jobCost is what one block row costs its core's cells, wherever it runs.
type jobCost struct {
	// first and last are each cell's first and last level, internal its
	// writes between them; index a*K + b.
	first, last []int16
	internal    []int64
	// rowPeak[a] is the most a cell of row a costs from cleared, and peak
	// the most of any cell: what the greedy ranks by.
	rowPeak []int64
	peak    int64
}

// newJobCost tabulates block row i of layer l programmed in order o.
func newJobCost(tr *transitions, l *Layer, o *Order, i int) *jobCost {
	k, q := l.K, l.BlockCols()
	jc := &jobCost{first: make([]int16, k*k), last: make([]int16, k*k), internal: make([]int64, k*k), rowPeak: make([]int64, k)}
	up, down := make([]int32, q), make([]int32, q)
	for a := range k {
		for b := range k {
			seq, perm := l.Seq(i, a, b), o.Seq(i, a, b)
			first := seq[perm[0]]
			cu, cd, last := tr.walk(first, seq, perm, up, down)
			u := a*k + b
			jc.first[u], jc.last[u], jc.internal[u] = first, last, cu+cd
			own := cu + cd + int64(abs(int(first)))
			jc.rowPeak[a] = max(jc.rowPeak[a], own)
			jc.peak = max(jc.peak, own)
		}
	}
	return jc
}

// wornChip is the greedy's running account of the chip: each cell's
// writes so far and the level it holds, and each core row's most-written
// cell.
type wornChip struct {
	k       int
	wear    []int64 // [core][K][K]
	level   []int16 // [core][K][K]
	rowWear []int64 // [core][K]
}

// placement is a candidate core and row shift for a job, with the chip's
// most-written cell after it and the writes of changing to its first
// levels.
type placement struct {
	core, shift  int
	peak, change int64
}

// try returns the placement of job on core c under the shift that best
// spreads its heaviest rows over the core's least-worn rows.
func (w *wornChip) try(c int, job *jobCost) placement {
	k := w.k
	rows := w.rowWear[c*k : (c+1)*k]
	shift, bound := 0, int64(-1)
	for s := range k {
		var m int64
		for a, p := range job.rowPeak {
			m = max(m, rows[(a+s)%k]+p)
		}
		if bound < 0 || m < bound {
			shift, bound = s, m
		}
	}
	pl := placement{core: c, shift: shift}
	for a := range k {
		phys := (c*k + (a+shift)%k) * k
		for b := range k {
			u := a*k + b
			change := int64(abs(int(w.level[phys+b]) - int(job.first[u])))
			pl.peak = max(pl.peak, w.wear[phys+b]+change+job.internal[u])
			pl.change += change
		}
	}
	return pl
}

// place runs job as pl says: its cells take its writes and end at its
// last levels.
func (w *wornChip) place(pl placement, job *jobCost) {
	k, c := w.k, pl.core
	for a := range k {
		r := (a + pl.shift) % k
		phys := (c*k + r) * k
		for b := range k {
			u := a*k + b
			w.wear[phys+b] += int64(abs(int(w.level[phys+b])-int(job.first[u]))) + job.internal[u]
			w.level[phys+b] = job.last[u]
		}
		w.rowWear[c*k+r] = slices.Max(w.wear[phys : phys+k])
	}
}
