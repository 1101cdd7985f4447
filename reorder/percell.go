package reorder

import "github.com/elight-photonic/elight/quantize/parallel"

// planPerCell fills the Sort order srt and the Cell order cel (either may
// be nil): each cell orders its own q levels by a rank, stably, with a
// counting sort.
//
// Sort ranks levels ascending, as the reference's torch.sort does. From
// level 0 it costs |min| + (max - min) writes per cell, which is 2|min| +
// max when the levels straddle zero and 2|min| - |max| when all are
// negative.
//
// Cell visits zeros first, then the side of zero whose extreme is smaller,
// moving away from zero, then the other side, moving away from zero. That
// costs min(2|min| + max, 2 max + |min|) when the levels straddle zero and
// the larger magnitude otherwise; no order of the cell's levels can cost
// less, because any walk from 0 must reach both extremes. It also minimizes
// energy: the down steps are the smaller side's extreme. On a tie the
// negative side goes first.
func planPerCell(l *Layer, srt, cel *Order) {
	q, kk := l.BlockCols(), l.K*l.K
	parallel.ItemsWith(l.BlockRows(), func() *cellSorter { return newCellSorter(2*l.Max + 1) }, func(cs *cellSorter, i int) {
		lv := l.row(i)
		for u := range kk {
			cs.count(lv[u*q : (u+1)*q])
			if srt != nil {
				cs.place(srt.unitSeq(i, u), false)
			}
			if cel != nil {
				cs.place(cel.unitSeq(i, u), true)
			}
		}
	})
}

// cellSorter is one worker's scratch for counting sorts of one cell.
type cellSorter struct {
	seq    []int16
	lo, hi int     // the cell's lowest and highest level
	counts []int32 // counts[v-lo]: how many times level v occurs
	slots  []int32 // slots[v-lo]: the next output slot of level v
	bins   int     // 2L-1, the capacity of counts and slots
}

// newCellSorter returns scratch for levels of nbins values.
func newCellSorter(nbins int) *cellSorter {
	return &cellSorter{counts: make([]int32, nbins), slots: make([]int32, nbins), bins: nbins}
}

// count takes the level histogram of seq. Only [lo, hi] is counted, so
// short cells do not pay for all 2L-1 levels.
func (cs *cellSorter) count(seq []int16) {
	lo, hi := seq[0], seq[0]
	for _, v := range seq {
		lo, hi = min(lo, v), max(hi, v)
	}
	cs.seq, cs.lo, cs.hi = seq, int(lo), int(hi)
	cs.counts = cs.counts[: cs.hi-cs.lo+1 : cs.bins]
	clear(cs.counts)
	for _, v := range seq {
		cs.counts[int(v)-cs.lo]++
	}
}

// place writes the stable order of the counted cell into perm: ascending
// levels, or the Cell strategy's order if cell.
func (cs *cellSorter) place(perm []uint16, cell bool) {
	lo, hi := cs.lo, cs.hi
	slots := cs.slots[:len(cs.counts)]
	slot := int32(0)
	// assign gives level v, if in [lo, hi], the next run of slots.
	assign := func(v int) {
		if v >= lo && v <= hi {
			slots[v-lo] = slot
			slot += cs.counts[v-lo]
		}
	}
	switch {
	case !cell:
		for v := lo; v <= hi; v++ {
			assign(v)
		}
	case -lo <= hi: // negatives first: they are the smaller side, or absent
		for v := 0; v >= lo; v-- {
			assign(v)
		}
		for v := 1; v <= hi; v++ {
			assign(v)
		}
	default:
		for v := 0; v <= hi; v++ {
			assign(v)
		}
		for v := -1; v >= lo; v-- {
			assign(v)
		}
	}
	for j, v := range cs.seq {
		r := int(v) - lo
		perm[slots[r]] = uint16(j)
		slots[r]++
	}
}
