package reorder

import (
	"fmt"
	"strings"
)

// Strategy names a way of choosing the order in which each core is
// programmed with the blocks of its row.
type Strategy string

// The strategies, from the reference's baseline to this project's additions.
const (
	// None programs blocks (i, 0), (i, 1), ... in the original order.
	None Strategy = "none"
	// Sort is the reference's fine-grained reordering: every cell visits its
	// own q levels in ascending order. It needs per-cell input routing.
	Sort Strategy = "sort"
	// Cell is the optimal per-cell order: zeros, then the side of zero with
	// the smaller extreme, then the other side, each moving away from zero.
	// It needs per-cell input routing; its writes bound every strategy's
	// from below.
	Cell Strategy = "cell"
	// Column shares one order among the K cells of a column, for cores that
	// broadcast input x[b] down column b.
	Column Strategy = "column"
	// Block reorders whole blocks, one order per core: it works on any core.
	Block Strategy = "block"
)

// Strategies returns every strategy, in the order reports list them.
func Strategies() []Strategy { return []Strategy{None, Sort, Cell, Column, Block} }

// ParseStrategy returns the strategy named s.
func ParseStrategy(s string) (Strategy, error) {
	for _, st := range Strategies() {
		if string(st) == s {
			return st, nil
		}
	}
	names := make([]string, 0, 5)
	for _, st := range Strategies() {
		names = append(names, string(st))
	}
	return "", fmt.Errorf("reorder: unknown strategy %q (want one of %s)", s, strings.Join(names, ", "))
}

// Scope is what an order is shared by.
func (s Strategy) Scope() Scope {
	switch s {
	case Sort, Cell:
		return PerCell
	case Column:
		return PerColumn
	}
	return PerRow
}

// String returns the strategy's name.
func (s Strategy) String() string { return string(s) }
