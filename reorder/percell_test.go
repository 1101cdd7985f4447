package reorder

import (
	"slices"
	"testing"
)

func TestPerCellOrders(t *testing.T) {
	tests := []struct {
		name       string
		seq        []int16
		sort, cell []uint16
		cellWrites int64
	}{
		// Stable: equal levels keep their block order.
		{"straddle, negatives smaller", []int16{2, -1, 2, 0, -1}, []uint16{1, 4, 3, 0, 2}, []uint16{3, 1, 4, 0, 2}, 1 + 1 + 2},
		// |min| = 3 > max = 1: zeros, positives up, then negatives down:
		// 0, 1, 1, -2, -3 costs 1 + 3 + 1 = min(2*3+1, 2*1+3).
		{"straddle, positives smaller", []int16{-3, 1, 0, -2, 1}, []uint16{0, 3, 2, 1, 4}, []uint16{2, 1, 4, 3, 0}, 5},
		// All negative: sort goes down to -3 and back up (3 + 2 = 2|min| -
		// |max|); the cell order only goes down.
		{"all negative", []int16{-1, -3, -2}, []uint16{1, 2, 0}, []uint16{0, 2, 1}, 3},
		{"all positive", []int16{3, 0, 1}, []uint16{1, 2, 0}, []uint16{1, 2, 0}, 3},
		// A tie between the sides puts the negatives first.
		{"tie", []int16{1, -1}, []uint16{1, 0}, []uint16{1, 0}, 3},
		{"one block", []int16{-2}, []uint16{0}, []uint16{0}, 2},
	}
	for _, tt := range tests {
		lv := levelsOf(2, tt.seq)
		l := mustPartition(t, lv, 1)
		srt, cel := mustPlan(t, l, Sort), mustPlan(t, l, Cell)
		if got := srt.Seq(0, 0, 0); !slices.Equal(got, tt.sort) {
			t.Errorf("%s: sort order %v, want %v", tt.name, got, tt.sort)
		}
		if got := cel.Seq(0, 0, 0); !slices.Equal(got, tt.cell) {
			t.Errorf("%s: cell order %v, want %v", tt.name, got, tt.cell)
		}
		if got := mustAccount(t, l, cel, DefaultProfile()).Writes; got != tt.cellWrites {
			t.Errorf("%s: cell writes %d, want %d", tt.name, got, tt.cellWrites)
		}
		if got := LowerBound(l); got != tt.cellWrites {
			t.Errorf("%s: LowerBound %d, want %d", tt.name, got, tt.cellWrites)
		}
	}
}

// PlanAll shares the counting between Sort and Cell; Plan does each alone.
func TestPlanAllMatchesPlan(t *testing.T) {
	lv := randomLevels(newRand(7), 40, 300, 4)
	l := mustPartition(t, lv, 16)
	for i, o := range PlanAll(l) {
		want := mustPlan(t, l, Strategies()[i])
		if o.Strategy != want.Strategy || !slices.Equal(o.Perm, want.Perm) {
			t.Errorf("PlanAll's %s order differs from Plan's", want.Strategy)
		}
	}
}

// PlanEach gives PlanAll's orders, one at a time, whether or not its
// caller keeps them.
func TestPlanEachMatchesPlanAll(t *testing.T) {
	lv := randomLevels(newRand(8), 40, 300, 4)
	l := mustPartition(t, lv, 16)
	all := PlanAll(l)
	for _, keep := range []bool{false, true} {
		var kept []*Order
		err := PlanEach(l, func(o *Order) (bool, error) {
			i := len(kept)
			if i >= len(all) || o.Strategy != all[i].Strategy || !slices.Equal(o.Perm, all[i].Perm) {
				t.Errorf("keep %v: PlanEach's order #%d (%s) differs from PlanAll's", keep, i, o.Strategy)
			}
			kept = append(kept, o)
			return keep, nil
		})
		if err != nil || len(kept) != len(all) {
			t.Fatalf("keep %v: PlanEach gave %d orders, err %v; want %d", keep, len(kept), err, len(all))
		}
		if keep {
			for i, o := range kept {
				if o.Strategy != all[i].Strategy || !slices.Equal(o.Perm, all[i].Perm) {
					t.Errorf("kept order #%d (%s) was planned over", i, o.Strategy)
				}
			}
		}
	}
}
