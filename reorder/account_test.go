package reorder

import (
	"slices"
	"testing"
)

// Hand-computed costs. With the default profile a level step up (larger
// magnitude, either array) takes 0.5 us and 9 units, a step down 20 us and
// 40 units.
func TestAccountByHand(t *testing.T) {
	custom := Profile{TUpUS: 1, TDownUS: 3, EUp: 2, EDown: 5, Endurance: 1}
	tests := []struct {
		name  string
		rows  [][]int16 // the matrix; k = 1, so each row is one core with one cell
		s     Strategy
		p     Profile
		order []uint16 // expected order of core 0
		want  Stats
	}{
		{
			// 0 -> 2: pos up 2 (1 us). 2 -> -1: pos down 2 (40 us) while neg
			// rises 1 (0.5 us). -1 -> 0: neg down 1 (20 us). 0 -> 3: pos up 3
			// (1.5 us). Up 6, down 3.
			name: "none, one cell", rows: [][]int16{{2, -1, 0, 3}}, s: None, p: DefaultProfile(),
			order: []uint16{0, 1, 2, 3},
			want:  Stats{Writes: 9, Up: 6, Down: 3, MaxCellWrites: 9, Energy: 6*9 + 3*40, LatencyUS: 1 + 40 + 20 + 1.5},
		},
		{
			// Ascending: -1, 0, 2, 3. Neg up 1 (0.5), neg down 1 (20), pos up 2
			// (1), pos up 1 (0.5).
			name: "sort, one cell", rows: [][]int16{{2, -1, 0, 3}}, s: Sort, p: DefaultProfile(),
			order: []uint16{1, 2, 0, 3},
			want:  Stats{Writes: 5, Up: 4, Down: 1, MaxCellWrites: 5, Energy: 4*9 + 1*40, LatencyUS: 0.5 + 20 + 1 + 0.5},
		},
		{
			// Zeros, then the smaller side (|-1| <= 3): 0, -1, 2, 3. The step
			// -1 -> 2 drops neg 1 (20 us) while pos rises 2 (1 us).
			name: "cell, one cell", rows: [][]int16{{2, -1, 0, 3}}, s: Cell, p: DefaultProfile(),
			order: []uint16{2, 1, 0, 3},
			want:  Stats{Writes: 5, Up: 4, Down: 1, MaxCellWrites: 5, Energy: 4*9 + 1*40, LatencyUS: 0 + 0.5 + 20 + 0.5},
		},
		{
			// Two cores in parallel. Core 0: 0->1 up 1, 1->3 up 2, 3->3,
			// 3->0 down 3. Core 1: 0->-2 neg up 2, -2->-2, -2->1 neg down 2
			// and pos up 1, 1->1. Step times (custom profile, up 1 us, down
			// 3 us per level): max(1, 2), max(2, 0), max(0, 6), max(9, 0).
			name: "none, two cores", rows: [][]int16{{1, 3, 3, 0}, {-2, -2, 1, 1}}, s: None, p: custom,
			order: []uint16{0, 1, 2, 3},
			want:  Stats{Writes: 11, Up: 6, Down: 5, MaxCellWrites: 6, Energy: 6*2 + 5*5, LatencyUS: 2 + 2 + 6 + 9},
		},
	}
	for _, tt := range tests {
		lv := levelsOf(2, tt.rows...)
		l := mustPartition(t, lv, 1)
		o := mustPlan(t, l, tt.s)
		if got := o.Seq(0, 0, 0); !slices.Equal(got, tt.order) {
			t.Errorf("%s: order %v, want %v", tt.name, got, tt.order)
		}
		if got := mustAccount(t, l, o, tt.p); got != tt.want {
			t.Errorf("%s: Account = %+v, want %+v", tt.name, got, tt.want)
		}
		got, err := Replay(lv, o, tt.p)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s: Replay = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// A 2x2 block: the slowest cell sets each step's time, and the cell with
// most writes sets MaxCellWrites. Matrix [2, 4] at k = 2: blocks
// [[3, 0], [0, -1]] then [[0, 0], [1, -3]].
func TestAccountBlock(t *testing.T) {
	lv := levelsOf(2,
		[]int16{3, 0, 0, 0},
		[]int16{0, -1, 1, -3},
	)
	l := mustPartition(t, lv, 2)
	// Step 0 from clear: cell (0,0) up 3 (1.5 us), cell (1,1) neg up 1.
	// Step 1: cell (0,0) down 3 (60 us), cell (1,0) up 1, cell (1,1) neg up 2.
	// Cell writes: 6, 0, 1, 3.
	want := Stats{Writes: 10, Up: 7, Down: 3, MaxCellWrites: 6, Energy: 7*9 + 3*40, LatencyUS: 1.5 + 60}
	o := mustPlan(t, l, None)
	if got := mustAccount(t, l, o, DefaultProfile()); got != want {
		t.Errorf("Account = %+v, want %+v", got, want)
	}
	if got, err := Replay(lv, o, DefaultProfile()); err != nil || got != want {
		t.Errorf("Replay = %+v, %v; want %+v", got, err, want)
	}
}

func TestAccountWrongGrid(t *testing.T) {
	l := mustPartition(t, levelsOf(2, []int16{1, 2, 3}), 1)
	o := mustPlan(t, mustPartition(t, levelsOf(2, []int16{1, 2}), 1), None)
	if _, err := Account(l, o, DefaultProfile()); err == nil {
		t.Error("Account of an order for another grid succeeded")
	}
}

func TestStatsAddAndLifetime(t *testing.T) {
	s := Stats{Writes: 3, Up: 2, Down: 1, MaxCellWrites: 2, Energy: 58, LatencyUS: 21}
	s.Add(Stats{Writes: 4, Up: 4, MaxCellWrites: 5, Energy: 36, LatencyUS: 2})
	want := Stats{Writes: 7, Up: 6, Down: 1, MaxCellWrites: 5, Energy: 94, LatencyUS: 23}
	if s != want {
		t.Errorf("Add: %+v, want %+v", s, want)
	}
	if got := s.Lifetime(Profile{Endurance: 1e8}); got != 2e7 {
		t.Errorf("Lifetime = %v, want 2e7", got)
	}
	if got := (Stats{}).Lifetime(DefaultProfile()); got < 1e300 {
		t.Errorf("Lifetime without writes = %v, want +Inf", got)
	}
}
