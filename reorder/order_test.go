package reorder

import (
	"strings"
	"testing"
)

func TestOrderValidate(t *testing.T) {
	l := mustPartition(t, levelsOf(3, []int16{1, 2, 3, 4}, []int16{0, 1, 0, 1}), 2) // p = 1, q = 2
	tests := []struct {
		name   string
		modify func(o *Order)
		want   string
	}{
		{"repeat", func(o *Order) { o.Perm[1] = o.Perm[0] }, "repeats block column"},
		{"out of range", func(o *Order) { o.Perm[0] = 2 }, "names block column 2 of 2"},
		{"short", func(o *Order) { o.Perm = o.Perm[:1] }, "entries"},
		{"scope", func(o *Order) { o.Scope = PerCell }, "has scope cell, want row"},
	}
	for _, tt := range tests {
		o := mustPlan(t, l, None)
		if err := o.Validate(); err != nil {
			t.Fatalf("%s: valid order: %v", tt.name, err)
		}
		tt.modify(o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// Replay refuses an order that would not compute the layer's products.
func TestReplayRejects(t *testing.T) {
	lv := levelsOf(3, []int16{1, 2, 3, 4}, []int16{0, 1, 0, 1})
	l := mustPartition(t, lv, 1)
	o := mustPlan(t, l, Cell)
	o.Perm[1] = o.Perm[0]
	if _, err := Replay(lv, o, DefaultProfile()); err == nil || !strings.Contains(err.Error(), "repeats") {
		t.Errorf("Replay of a repeating order: %v", err)
	}
	other := levelsOf(3, []int16{1, 2, 3, 4})
	if _, err := Replay(other, mustPlan(t, l, None), DefaultProfile()); err == nil || !strings.Contains(err.Error(), "[2, 4] matrix, levels are [1, 4]") {
		t.Errorf("Replay on other levels: %v", err)
	}
}

func TestParseStrategy(t *testing.T) {
	for _, s := range Strategies() {
		got, err := ParseStrategy(string(s))
		if err != nil || got != s {
			t.Errorf("ParseStrategy(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseStrategy("random"); err == nil || !strings.Contains(err.Error(), "none, sort, cell, column, block") {
		t.Errorf("ParseStrategy(random) error %v, want the list of strategies", err)
	}
	if _, err := Plan(mustPartition(t, levelsOf(2, []int16{1}), 1), "random"); err == nil {
		t.Error("Plan with an unknown strategy succeeded")
	}
}

func TestScope(t *testing.T) {
	tests := []struct {
		s     Strategy
		scope Scope
		units int
	}{{None, PerRow, 1}, {Sort, PerCell, 64}, {Cell, PerCell, 64}, {Column, PerColumn, 8}, {Block, PerRow, 1}}
	for _, tt := range tests {
		if got := tt.s.Scope(); got != tt.scope || got.Units(8) != tt.units {
			t.Errorf("%s: scope %s with %d units at k = 8, want %s with %d", tt.s, got, got.Units(8), tt.scope, tt.units)
		}
	}
}
