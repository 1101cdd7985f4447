package reorder

import (
	"fmt"

	"github.com/elight-photonic/elight/quantize"
)

// ReplayChip runs two inferences of the quantized layers levels on a
// simulated chip as plan says, every layer's cores in orders, one level
// step at a time on separate positive and negative arrays, and returns
// the cost of the second: the steady state AccountChip computes. It
// shares no cost code with AccountChip, so tests and `elight verify` use
// it to check AccountChip and a whole-chip schedule.
//
// In both inferences the outputs each layer's cores accumulate, for a
// fixed integer input, must equal the products of its levels: every row
// of every block row must be run once, on the core rows its shift names,
// each cell seeing every block of its row with the input that block's
// column needs.
func ReplayChip(levels []*quantize.Levels, orders []*Order, plan ChipPlan, p Profile) (ChipStats, error) {
	if len(levels) != len(orders) || len(levels) == 0 {
		return ChipStats{}, fmt.Errorf("reorder: %d levels for %d orders", len(levels), len(orders))
	}
	k := orders[0].Grid.K
	for i, o := range orders {
		if err := o.Validate(); err != nil {
			return ChipStats{}, fmt.Errorf("layer %d: %w", i, err)
		}
		if g := o.Grid; g.Rows != levels[i].Rows || g.Cols != levels[i].Cols || g.K != k {
			return ChipStats{}, fmt.Errorf("reorder: layer %d: order for [%d, %d] at block %d, levels [%d, %d] at block %d", i, g.Rows, g.Cols, g.K, levels[i].Rows, levels[i].Cols, k)
		}
	}
	// The plan's checks need only the grids, so validate it against empty
	// layers of the same shapes.
	grids := Inference{Layers: make([]*Layer, len(orders)), Orders: orders}
	for i, o := range orders {
		grids.Layers[i] = &Layer{Grid: o.Grid}
	}
	if err := plan.Validate(grids); err != nil {
		return ChipStats{}, err
	}

	cells := plan.Cores * k * k
	pos, neg := make([]int, cells), make([]int, cells)
	var s ChipStats
	for inference := range 2 {
		s = ChipStats{K: k, CellWrites: make([]int64, cells)}
		start := 0
		for start < len(plan.Jobs) {
			li := plan.Jobs[start].Layer
			end := start
			for end < len(plan.Jobs) && plan.Jobs[end].Layer == li {
				end++
			}
			lat, err := replayChipLayer(levels[li], orders[li], plan.Jobs[start:end], k, pos, neg, &s, p)
			if err != nil {
				return ChipStats{}, fmt.Errorf("reorder: inference %d, layer %d: %w", inference+1, li, err)
			}
			s.LatencyUS += lat
			start = end
		}
	}
	s.Writes = s.Up + s.Down
	s.Energy = p.EUp*float64(s.Up) + p.EDown*float64(s.Down)
	for _, w := range s.CellWrites {
		s.MaxCellWrites = max(s.MaxCellWrites, w)
	}
	return s, nil
}

// replayChipLayer runs one layer's jobs on the chip's arrays, adds its
// steps and writes to s, checks its outputs, and returns its latency:
// rounds one after another, each step of a round as long as its slowest
// cell-array.
func replayChipLayer(lv *quantize.Levels, o *Order, jobs []Job, k int, pos, neg []int, s *ChipStats, p Profile) (float64, error) {
	g := o.Grid
	q := g.BlockCols()
	x := replayInput(q * k)
	y := make([]int64, g.BlockRows()*k)
	round := map[int]int{}
	var stepTime [][]float64 // [round][step]
	for _, j := range jobs {
		r := round[j.Core]
		round[j.Core]++
		if r == len(stepTime) {
			stepTime = append(stepTime, make([]float64, q))
		}
		for a := range k {
			row := j.BlockRow*k + a
			phys := (j.Core*k + (a+j.RowShift)%k) * k
			for b := range k {
				cell := phys + b
				for t, bc := range o.Seq(j.BlockRow, a, b) {
					col := int(bc)*k + b
					w := 0
					if row < g.Rows && col < g.Cols {
						w = lv.At(row, col)
					}
					upP, downP := stepTo(&pos[cell], max(w, 0))
					upN, downN := stepTo(&neg[cell], max(-w, 0))
					s.Up += int64(upP + upN)
					s.Down += int64(downP + downN)
					s.CellWrites[cell] += int64(upP + downP + upN + downN)
					tP := float64(upP)*p.TUpUS + float64(downP)*p.TDownUS
					tN := float64(upN)*p.TUpUS + float64(downN)*p.TDownUS
					stepTime[r][t] = max(stepTime[r][t], tP, tN)
					y[row] += int64(pos[cell]-neg[cell]) * x[col]
				}
			}
		}
	}
	for r := range g.Rows {
		var want int64
		for col := range g.Cols {
			want += int64(lv.At(r, col)) * x[col]
		}
		if y[r] != want {
			return 0, fmt.Errorf("output %d = %d, want %d", r, y[r], want)
		}
	}
	var latency float64
	for _, steps := range stepTime {
		for _, d := range steps {
			latency += d
		}
	}
	return latency, nil
}
