package reorder

import (
	"errors"
	"fmt"
)

// A chip has a fixed number of physical K x K cores, fewer than a model's
// block rows, so one inference programs each core with block rows of many
// layers in turn (method, section 7 of the README). A cell keeps its level
// from one block to the next, from one layer to the next and from one
// inference to the next: nothing clears it, so every change between
// consecutive levels costs writes, the change from the last block of an
// inference back to the first included. The chip's figures are those of
// one inference in steady state, after the first.

// Inference is a model's photonic layers in inference order, each with
// the order its cores receive their blocks in. All layers share one block
// size K.
type Inference struct {
	Layers []*Layer
	Orders []*Order
}

// validate checks that the layers share a block size and that each order
// fits its layer.
func (inf Inference) validate() error {
	if len(inf.Layers) == 0 {
		return errors.New("reorder: a chip needs at least one layer")
	}
	if len(inf.Orders) != len(inf.Layers) {
		return fmt.Errorf("reorder: %d orders for %d layers", len(inf.Orders), len(inf.Layers))
	}
	k := inf.Layers[0].K
	for i, l := range inf.Layers {
		if l.K != k {
			return fmt.Errorf("reorder: layer %d has block %d, layer 0 has %d: a chip has one core size", i, l.K, k)
		}
		if err := inf.Orders[i].checkFits(l.Grid); err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return nil
}

// maxLevel is the largest level magnitude of any layer.
func (inf Inference) maxLevel() int {
	m := 0
	for _, l := range inf.Layers {
		m = max(m, l.Max)
	}
	return m
}

// Job is one block row of one layer programmed onto one physical core: the
// row's q blocks, one after another, in the layer's order.
type Job struct {
	Layer    int `json:"layer"` // index in Inference.Layers
	BlockRow int `json:"block_row"`
	Core     int `json:"core"`
	// RowShift rotates the block row on the core, so that wear spreads
	// over the core's rows: row a of every block sits on the core's row
	// (a + RowShift) mod K, whose output is output row BlockRow*K + a.
	RowShift int `json:"row_shift"`
}

// ChipPlan assigns every block row of every layer to a physical core.
type ChipPlan struct {
	Cores int
	// Jobs in the order they run: layer after layer; within a layer each
	// core runs its jobs in the order listed, all cores in parallel, the
	// r-th job of every core in round r.
	Jobs []Job
}

// MaxCores bounds a chip's core count, so that a corrupt schedule cannot
// make a reader allocate per-core state without limit.
const MaxCores = 1 << 16

// Validate checks that plan runs every block row of inf exactly once,
// layer after layer, on cores that exist, with shifts below K.
func (plan ChipPlan) Validate(inf Inference) error {
	if plan.Cores < 1 || plan.Cores > MaxCores {
		return fmt.Errorf("reorder: %d cores, want 1 to %d", plan.Cores, MaxCores)
	}
	seen := make([][]bool, len(inf.Layers))
	jobs := 0
	for i, l := range inf.Layers {
		seen[i] = make([]bool, l.BlockRows())
		jobs += l.BlockRows()
	}
	if len(plan.Jobs) != jobs {
		return fmt.Errorf("reorder: chip plan has %d jobs, the layers %d block rows", len(plan.Jobs), jobs)
	}
	k := inf.Layers[0].K
	layer := 0
	for n, j := range plan.Jobs {
		switch {
		case j.Layer < layer || j.Layer >= len(inf.Layers):
			return fmt.Errorf("reorder: job %d: layer %d out of order (layers run one after another, from 0 to %d)", n, j.Layer, len(inf.Layers)-1)
		case j.BlockRow < 0 || j.BlockRow >= len(seen[j.Layer]):
			return fmt.Errorf("reorder: job %d: block row %d of layer %d, which has %d", n, j.BlockRow, j.Layer, len(seen[j.Layer]))
		case seen[j.Layer][j.BlockRow]:
			return fmt.Errorf("reorder: job %d: block row %d of layer %d runs twice", n, j.BlockRow, j.Layer)
		case j.Core < 0 || j.Core >= plan.Cores:
			return fmt.Errorf("reorder: job %d: core %d of %d", n, j.Core, plan.Cores)
		case j.RowShift < 0 || j.RowShift >= k:
			return fmt.Errorf("reorder: job %d: row shift %d, want 0 to %d", n, j.RowShift, k-1)
		}
		seen[j.Layer][j.BlockRow] = true
		layer = j.Layer
	}
	return nil
}

// ChipStats is the cost of one inference on the chip in steady state.
type ChipStats struct {
	// Stats holds the whole chip's figures; MaxCellWrites is the most
	// writes any physical cell takes in one inference, so Lifetime is
	// the inferences until that cell wears out.
	Stats
	// K is the core size and CellWrites[(c*K + a)*K + b] the writes per
	// inference of cell (a, b) of physical core c.
	K          int
	CellWrites []int64
}

// AccountChip returns the steady-state cost of one inference of inf run
// on the chip as plan says. Latency adds up the layers; within a layer the
// cores work in parallel, round by round, and each step of a round takes
// as long as the slowest cell-array of any core.
func AccountChip(inf Inference, plan ChipPlan, p Profile) (ChipStats, error) {
	if err := inf.validate(); err != nil {
		return ChipStats{}, err
	}
	if err := plan.Validate(inf); err != nil {
		return ChipStats{}, err
	}
	k := inf.Layers[0].K
	kk := k * k
	tr := newTransitions(inf.maxLevel())
	level := make([]int16, plan.Cores*kk)
	s := ChipStats{K: k, CellWrites: make([]int64, plan.Cores*kk)}
	// The first pass leaves every cell where an inference leaves it; the
	// second, the steady state, is counted.
	for pass := range 2 {
		counted := pass == 1
		for _, layerJobs := range jobsByLayer(plan.Jobs) {
			l, o := inf.Layers[layerJobs[0].Layer], inf.Orders[layerJobs[0].Layer]
			q := l.BlockCols()
			rounds := roundsOf(layerJobs, plan.Cores)
			// steps[r] holds round r's largest single-cell move per step,
			// up in [0, q) and down in [q, 2q).
			steps := make([]int32, len(rounds)*2*q)
			for n, j := range layerJobs {
				up, down := steps[2*rounds[n]*q:(2*rounds[n]+1)*q], steps[(2*rounds[n]+1)*q:(2*rounds[n]+2)*q]
				for a := range k {
					phys := (j.Core*k + (a+j.RowShift)%k) * k
					for b := range k {
						cu, cd, end := tr.walk(level[phys+b], l.Seq(j.BlockRow, a, b), o.Seq(j.BlockRow, a, b), up, down)
						level[phys+b] = end
						if counted {
							s.Up += cu
							s.Down += cd
							s.CellWrites[phys+b] += cu + cd
						}
					}
				}
			}
			if counted {
				for r := range len(rounds) {
					for t := range q {
						s.LatencyUS += max(float64(steps[2*r*q+t])*p.TUpUS, float64(steps[(2*r+1)*q+t])*p.TDownUS)
					}
				}
			}
		}
	}
	s.Writes = s.Up + s.Down
	s.Energy = p.EUp*float64(s.Up) + p.EDown*float64(s.Down)
	for _, w := range s.CellWrites {
		s.MaxCellWrites = max(s.MaxCellWrites, w)
	}
	return s, nil
}

// jobsByLayer splits a valid plan's jobs into runs of one layer each.
func jobsByLayer(jobs []Job) [][]Job {
	var out [][]Job
	for start := 0; start < len(jobs); {
		end := start + 1
		for end < len(jobs) && jobs[end].Layer == jobs[start].Layer {
			end++
		}
		out = append(out, jobs[start:end])
		start = end
	}
	return out
}

// roundsOf returns the round of each of one layer's jobs: how many jobs
// its core ran before it in the layer.
func roundsOf(layerJobs []Job, cores int) []int {
	ran := make(map[int]int, min(cores, len(layerJobs)))
	rounds := make([]int, len(layerJobs))
	for n, j := range layerJobs {
		rounds[n] = ran[j.Core]
		ran[j.Core]++
	}
	return rounds
}

// NaiveChipPlan runs block row i of every layer on core i mod cores,
// unshifted, in block-row order: the layout a compiler without wear
// levelling would choose.
func NaiveChipPlan(inf Inference, cores int) ChipPlan {
	plan := ChipPlan{Cores: cores}
	for li, l := range inf.Layers {
		for i := range l.BlockRows() {
			plan.Jobs = append(plan.Jobs, Job{Layer: li, BlockRow: i, Core: i % cores})
		}
	}
	return plan
}
