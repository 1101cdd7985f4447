package reorder

import (
	"fmt"

	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/quantize/parallel"
)

// Replay programs simulated cores with the quantized matrix lv in order o,
// one level step at a time on separate positive and negative arrays, and
// returns the cost it observed. It shares none of Account's cost code, so
// tests and `elight verify` use it to check Account and any order.
//
// Replay also checks that o is a valid order for lv's grid and that the
// products the cores accumulate, for a fixed integer input, equal those of
// lv: every cell must see every block of its row once, with the input
// element that block's column needs.
func Replay(lv *quantize.Levels, o *Order, p Profile) (Stats, error) {
	if err := o.Validate(); err != nil {
		return Stats{}, err
	}
	g := o.Grid
	if g.Rows != lv.Rows || g.Cols != lv.Cols {
		return Stats{}, fmt.Errorf("reorder: %s order is for a [%d, %d] matrix, levels are [%d, %d]", o.Strategy, g.Rows, g.Cols, lv.Rows, lv.Cols)
	}
	rows := g.BlockRows()
	cores := make([]coreReplay, rows)
	x := replayInput(g.BlockCols() * g.K)
	parallel.Items(rows, func(i int) { cores[i] = replayCore(lv, o, p, i, x) })

	var s Stats
	stepTime := make([]float64, g.BlockCols())
	for i, c := range cores {
		s.Up += c.up
		s.Down += c.down
		s.MaxCellWrites = max(s.MaxCellWrites, c.maxCell)
		for t, d := range c.stepTime {
			stepTime[t] = max(stepTime[t], d)
		}
		for a, y := range c.y {
			r := i*g.K + a
			if r >= g.Rows {
				break
			}
			var want int64
			for col := range g.Cols {
				want += int64(lv.At(r, col)) * x[col]
			}
			if y != want {
				return Stats{}, fmt.Errorf("reorder: replaying the %s order gives output %d = %d, want %d", o.Strategy, r, y, want)
			}
		}
	}
	s.Writes = s.Up + s.Down
	s.Energy = p.EUp*float64(s.Up) + p.EDown*float64(s.Down)
	for _, d := range stepTime {
		s.LatencyUS += d
	}
	return s, nil
}

// coreReplay is what replaying one core observed.
type coreReplay struct {
	up, down, maxCell int64
	stepTime          []float64 // slowest cell-array per step, microseconds
	y                 []int64   // accumulated outputs of the core's K rows
}

// replayCore simulates core i. Cells are independent but for the step
// times, which it keeps per step, so it runs cell by cell: one weight row
// at a time stays in cache.
func replayCore(lv *quantize.Levels, o *Order, p Profile, i int, x []int64) coreReplay {
	g := o.Grid
	k, q := g.K, g.BlockCols()
	units := o.Scope.Units(k)
	perm := o.Perm[i*units*q : (i+1)*units*q]
	c := coreReplay{stepTime: make([]float64, q), y: make([]int64, k)}
	for a := range k {
		var row []int16 // nil for padding rows, which hold weight 0
		if r := i*k + a; r < g.Rows {
			row = lv.Signed[r*g.Cols : (r+1)*g.Cols]
		}
		for b := range k {
			u := o.Scope.unit(k, a, b)
			var pos, neg int // the cell's two arrays, cleared
			var writes int64
			for t, j := range perm[u*q : (u+1)*q] {
				col := int(j)*k + b
				w := 0
				if row != nil && col < g.Cols {
					w = int(row[col])
				}
				upP, downP := stepTo(&pos, max(w, 0))
				upN, downN := stepTo(&neg, max(-w, 0))
				c.up += int64(upP + upN)
				c.down += int64(downP + downN)
				writes += int64(upP + downP + upN + downN)
				// Each array moves one way; the arrays move in parallel.
				tP := float64(upP)*p.TUpUS + float64(downP)*p.TDownUS
				tN := float64(upN)*p.TUpUS + float64(downN)*p.TDownUS
				c.stepTime[t] = max(c.stepTime[t], tP, tN)
				// The core now computes with the programmed cell on the
				// input its block column routes to it.
				c.y[a] += int64(pos-neg) * x[col]
			}
			c.maxCell = max(c.maxCell, writes)
		}
	}
	return c
}

// stepTo moves an array cell to level target one write at a time and
// returns the steps taken up and down.
func stepTo(level *int, target int) (up, down int) {
	for *level < target {
		*level++
		up++
	}
	for *level > target {
		*level--
		down++
	}
	return up, down
}

// replayInput returns a fixed input vector of small non-zero integers of
// both signs, one per padded column (padding cells hold weight 0, so the
// values there do not matter).
func replayInput(n int) []int64 {
	x := make([]int64, n)
	for i := range x {
		x[i] = int64(i*7919%13) - 6
		if x[i] == 0 {
			x[i] = 7
		}
	}
	return x
}
