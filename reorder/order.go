package reorder

import "fmt"

// Scope says which cells of a core share a programming order.
type Scope int

const (
	// PerRow: all cells of core i follow one order (whole blocks move).
	PerRow Scope = iota
	// PerColumn: the K cells of column b of core i share an order.
	PerColumn
	// PerCell: every cell has its own order.
	PerCell
)

// String returns the scope's name.
func (s Scope) String() string {
	switch s {
	case PerRow:
		return "row"
	case PerColumn:
		return "column"
	case PerCell:
		return "cell"
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// Units returns how many orders a core has under scope s with k x k blocks:
// 1, k or k*k.
func (s Scope) Units(k int) int {
	switch s {
	case PerColumn:
		return k
	case PerCell:
		return k * k
	}
	return 1
}

// unit returns which of a core's orders cell (a, b) follows.
func (s Scope) unit(k, a, b int) int {
	switch s {
	case PerColumn:
		return b
	case PerCell:
		return a*k + b
	}
	return 0
}

// Order is a programming order for every core of a layer: at step t, cell
// (a, b) of core i is programmed with element (a, b) of block
// (i, Seq(i, a, b)[t]) and must receive input x[Seq(i, a, b)[t]*K + b], so
// the products summed over the steps equal those of the original order.
type Order struct {
	Strategy Strategy
	Grid     Grid
	Scope    Scope
	// Perm holds the orders, [p][Scope.Units(K)][q]: each a permutation of
	// the block columns 0..q-1.
	Perm []uint16
}

// newOrder returns an order of s's scope with Perm allocated but unset.
func newOrder(g Grid, s Strategy) *Order {
	sc := s.Scope()
	return &Order{Strategy: s, Grid: g, Scope: sc, Perm: make([]uint16, g.BlockRows()*sc.Units(g.K)*g.BlockCols())}
}

// Seq returns the block columns cell (a, b) of core i is programmed with, in
// order. The slice shares the order's storage.
func (o *Order) Seq(i, a, b int) []uint16 {
	return o.unitSeq(i, o.Scope.unit(o.Grid.K, a, b))
}

// unitSeq returns the order of unit u of core i.
func (o *Order) unitSeq(i, u int) []uint16 {
	q := o.Grid.BlockCols()
	off := (i*o.Scope.Units(o.Grid.K) + u) * q
	return o.Perm[off : off+q : off+q]
}

// Validate checks that o fits its grid and that every order is a
// permutation of the block columns: a repeated or missing block would change
// the layer's products.
func (o *Order) Validate() error {
	g := o.Grid
	if err := g.Validate(); err != nil {
		return err
	}
	if o.Scope != o.Strategy.Scope() {
		return fmt.Errorf("reorder: %s order has scope %s, want %s", o.Strategy, o.Scope, o.Strategy.Scope())
	}
	units, q := o.Scope.Units(g.K), g.BlockCols()
	if len(o.Perm) != g.BlockRows()*units*q {
		return fmt.Errorf("reorder: %s order has %d entries, want %d x %d x %d", o.Strategy, len(o.Perm), g.BlockRows(), units, q)
	}
	seen := make([]int, q)
	for i := range g.BlockRows() {
		for u := range units {
			for t, j := range o.unitSeq(i, u) {
				if int(j) >= q {
					return fmt.Errorf("reorder: %s order of core %d unit %d step %d names block column %d of %d", o.Strategy, i, u, t, j, q)
				}
				// seen holds a stamp per (row, unit) so it is never cleared.
				stamp := i*units + u + 1
				if seen[j] == stamp {
					return fmt.Errorf("reorder: %s order of core %d unit %d repeats block column %d", o.Strategy, i, u, j)
				}
				seen[j] = stamp
			}
		}
	}
	return nil
}

// checkFits reports whether o was made for layer l's grid.
func (o *Order) checkFits(g Grid) error {
	if o.Grid != g {
		return fmt.Errorf("reorder: %s order is for grid %+v, layer is %+v", o.Strategy, o.Grid, g)
	}
	if want := g.BlockRows() * o.Scope.Units(g.K) * g.BlockCols(); len(o.Perm) != want {
		return fmt.Errorf("reorder: %s order has %d entries, want %d", o.Strategy, len(o.Perm), want)
	}
	return nil
}
