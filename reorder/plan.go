package reorder

import "fmt"

// Plan returns the programming order strategy s chooses for layer l. The
// result is deterministic: the same layer gives the same order.
func Plan(l *Layer, s Strategy) (*Order, error) {
	switch s {
	case None:
		return planNone(l), nil
	case Sort, Cell:
		o := newOrder(l.Grid, s)
		if s == Sort {
			planPerCell(l, o, nil)
		} else {
			planPerCell(l, nil, o)
		}
		return o, nil
	case Column, Block:
		orders := planPaths(l, s == Column, s == Block)
		if s == Column {
			return orders[0], nil
		}
		return orders[1], nil
	}
	return nil, fmt.Errorf("reorder: unknown strategy %q", s)
}

// PlanAll returns the order of every strategy of Strategies(), in that
// order. It shares work between strategies (the level counts of Sort and
// Cell, the distances of Column and Block), so it is faster than planning
// them one by one.
func PlanAll(l *Layer) []*Order {
	srt, cel := newOrder(l.Grid, Sort), newOrder(l.Grid, Cell)
	planPerCell(l, srt, cel)
	paths := planPaths(l, true, true)
	return []*Order{planNone(l), srt, cel, paths[0], paths[1]}
}

// PlanEach calls fn with the order of every strategy of Strategies(), in
// that order, the orders PlanAll returns, and stops at fn's first error.
// Unlike PlanAll it holds one per-cell order at a time (each is as large
// as the layer's levels; a VGG16 classifier's is 200 MB), at the cost of
// counting the levels twice: an order fn does not keep is garbage once fn
// returns.
func PlanEach(l *Layer, fn func(*Order) error) error {
	if err := fn(planNone(l)); err != nil {
		return err
	}
	for _, s := range []Strategy{Sort, Cell} {
		o, err := Plan(l, s)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	for _, o := range planPaths(l, true, true) {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// planNone returns the original order.
func planNone(l *Layer) *Order {
	o := newOrder(l.Grid, None)
	q := l.BlockCols()
	for i := range l.BlockRows() {
		seq := o.unitSeq(i, 0)
		for j := range q {
			seq[j] = uint16(j)
		}
	}
	return o
}
