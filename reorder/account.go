package reorder

import "github.com/elight-photonic/elight/quantize/parallel"

// Account returns the cost of programming layer l in order o on device p.
// Each core starts from the cleared state (every level 0). o must be valid
// (see Order.Validate; Plan's orders are): Account trusts it for speed,
// and Replay is the independent check.
func Account(l *Layer, o *Order, p Profile) (Stats, error) {
	if err := o.checkFits(l.Grid); err != nil {
		return Stats{}, err
	}
	rows, q, k := l.BlockRows(), l.BlockCols(), l.K
	type rowCost struct{ up, down, maxCell int64 }
	costs := make([]rowCost, rows)
	// steps[i] holds core i's largest single-cell level change per step,
	// up moves in [0, q) and down moves in [q, 2q).
	steps := make([]int32, rows*2*q)
	tr := newTransitions(l.Max)
	parallel.Items(rows, func(i int) {
		up, down := steps[2*i*q:(2*i+1)*q], steps[(2*i+1)*q:(2*i+2)*q]
		lv := l.row(i)
		var c rowCost
		for u := range k * k {
			cu, cd, _ := tr.walk(0, lv[u*q:(u+1)*q], o.unitSeq(i, o.Scope.unit(k, u/k, u%k)), up, down)
			c.up += cu
			c.down += cd
			c.maxCell = max(c.maxCell, cu+cd)
		}
		costs[i] = c
	})

	var s Stats
	for _, c := range costs {
		s.Up += c.up
		s.Down += c.down
		s.MaxCellWrites = max(s.MaxCellWrites, c.maxCell)
	}
	s.Writes = s.Up + s.Down
	s.Energy = p.EUp*float64(s.Up) + p.EDown*float64(s.Down)
	for t := range q {
		var up, down int32
		for i := range rows {
			up = max(up, steps[2*i*q+t])
			down = max(down, steps[(2*i+1)*q+t])
		}
		// Every array of a cell moves one way within a step, so the
		// slowest cell-array of the step is the largest up move or the
		// largest down move.
		s.LatencyUS += max(float64(up)*p.TUpUS, float64(down)*p.TDownUS)
	}
	return s, nil
}

// transitions tabulates the level steps of every change of a cell's signed
// level: entry (u+max)*(2max+1) + (v+max) holds, for a change from u to v,
// the steps up in its low 32 bits and the steps down in its high 32 bits,
// so that one addition sums both (a cell's total stays far below 2^32). When
// the sign flips, one array drops |u| to 0 and the other rises from 0 to
// |v|; otherwise one array moves by |v| - |u|.
type transitions struct {
	max, width int
	t          []uint64
}

// newTransitions tabulates the changes between levels in [-max, max].
func newTransitions(max int) *transitions {
	tr := &transitions{max: max, width: 2*max + 1}
	tr.t = make([]uint64, tr.width*tr.width)
	for u := -max; u <= max; u++ {
		for v := -max; v <= max; v++ {
			au, av := abs(u), abs(v)
			var up, down int
			if (u < 0 && v > 0) || (u > 0 && v < 0) {
				up, down = av, au
			} else if av > au {
				up = av - au
			} else {
				down = au - av
			}
			tr.t[(u+max)*tr.width+v+max] = uint64(up) | uint64(down)<<32
		}
	}
	return tr
}

// abs returns |x|.
func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// walk programs one cell holding level start with seq[perm[0]],
// seq[perm[1]], ... and returns its level steps up and down over both
// arrays and the level it ends at. It raises stepUp[t] and stepDown[t] to
// the cell's move at step t.
func (tr *transitions) walk(start int16, seq []int16, perm []uint16, stepUp, stepDown []int32) (up, down int64, end int16) {
	stepUp, stepDown = stepUp[:len(perm)], stepDown[:len(perm)]
	// A local copy: through tr the table would be reloaded after every
	// store, as far as the compiler knows.
	table := tr.t
	// row is the table offset of the previous level's row, plus max so
	// that adding the new level (not level+max) indexes its column.
	width, zero := tr.width, tr.max*tr.width+tr.max
	row := int(start)*width + zero
	end = start
	var sum uint64
	for t, j := range perm {
		v := int(seq[j])
		e := table[row+v]
		row = v*width + zero
		sum += e
		// int32 rather than byte maxima: they compile to conditional
		// moves, and these comparisons are unpredictable.
		stepUp[t] = max(stepUp[t], int32(uint32(e)))
		stepDown[t] = max(stepDown[t], int32(e>>32))
	}
	if len(perm) > 0 {
		end = seq[perm[len(perm)-1]]
	}
	return int64(uint32(sum)), int64(sum >> 32), end
}

// abs32 returns |x| without a branch.
func abs32(x int32) int32 {
	m := x >> 31
	return (x ^ m) - m
}
