package reorder

import (
	"fmt"
	"slices"
	"testing"
)

// shape is a random test layer's size, block and bit width.
type shape struct{ rows, cols, k, bits int }

// String describes the shape in messages.
func (s shape) String() string {
	return fmt.Sprintf("[%d, %d] block %d bits %d", s.rows, s.cols, s.k, s.bits)
}

// On random layers of many shapes, block sizes and bit widths: every
// strategy's order is valid, Account agrees with Replay (which also checks
// the accumulated products), plans are deterministic, and the guarantees
// of the README's method hold: cell <= sort, cell <= column <= none, cell <= block
// <= none, with cell equal to LowerBound, and the cell order's energy no
// more than the sort order's.
func TestStrategyProperties(t *testing.T) {
	shapes := []shape{
		{1, 1, 1, 1},
		{5, 7, 2, 2},
		{3, 2000, 4, 4},    // q = 500: several path chunks
		{64, 600, 16, 4},   // whole blocks and a padded column
		{100, 300, 8, 3},   // padded rows
		{70, 130, 64, 4},   // one core row, padding in both directions
		{33, 257, 32, 6},   // the widest 8-bit lanes
		{20, 90, 5, 7},     // 16-bit lanes
		{16, 160, 16, 8},   // 8-bit levels, +-255
		{130, 400, 130, 4}, // more than 64 cells per column
	}
	rng := newRand(11)
	p := DefaultProfile()
	for _, sh := range shapes {
		lv := randomLevels(rng, sh.rows, sh.cols, sh.bits)
		l := mustPartition(t, lv, sh.k)
		orders := PlanAll(l)
		stats := map[Strategy]Stats{}
		for _, o := range orders {
			name := func() string {
				return o.Strategy.String() + " " + sh.String()
			}
			if err := o.Validate(); err != nil {
				t.Fatalf("%s: %v", name(), err)
			}
			got := mustAccount(t, l, o, p)
			replay, err := Replay(lv, o, p)
			if err != nil {
				t.Fatalf("%s: %v", name(), err)
			}
			if got != replay {
				t.Errorf("%s: Account %+v, Replay %+v", name(), got, replay)
			}
			stats[o.Strategy] = got
		}
		again := PlanAll(l)
		for i := range orders {
			if !slices.Equal(orders[i].Perm, again[i].Perm) {
				t.Errorf("%v: %s plans differ between runs", sh, orders[i].Strategy)
			}
		}
		w := func(s Strategy) int64 { return stats[s].Writes }
		if w(Cell) != LowerBound(l) {
			t.Errorf("%v: cell writes %d, LowerBound %d", sh, w(Cell), LowerBound(l))
		}
		for _, c := range []struct {
			lo, hi Strategy
		}{{Cell, Sort}, {Cell, Column}, {Column, None}, {Cell, Block}, {Block, None}} {
			if w(c.lo) > w(c.hi) {
				t.Errorf("%v: %s writes %d > %s writes %d", sh, c.lo, w(c.lo), c.hi, w(c.hi))
			}
		}
		if stats[Cell].Energy > stats[Sort].Energy {
			t.Errorf("%v: cell energy %v > sort energy %v", sh, stats[Cell].Energy, stats[Sort].Energy)
		}
		t.Logf("%v: none %d sort %d cell %d column %d block %d", sh, w(None), w(Sort), w(Cell), w(Column), w(Block))
	}
}
