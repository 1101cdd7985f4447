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
// fn says whether it keeps the order; one it does not keep may be planned
// over by the next, so fn must not hold it after returning false.
//
// Unlike PlanAll it holds no more than one per-cell order that is not kept
// (each is as large as the layer's levels; a VGG16 classifier's is
// 200 MB), at the cost of counting the levels twice.
func PlanEach(l *Layer, fn func(*Order) (keep bool, err error)) error {
	if _, err := fn(planNone(l)); err != nil {
		return err
	}
	srt := newOrder(l.Grid, Sort)
	planPerCell(l, srt, nil)
	keep, err := fn(srt)
	if err != nil {
		return err
	}
	cel := srt // Sort's and Cell's orders have the same shape
	if keep {
		cel = newOrder(l.Grid, Cell)
	}
	cel.Strategy = Cell
	planPerCell(l, nil, cel)
	if _, err := fn(cel); err != nil {
		return err
	}
	for _, o := range planPaths(l, true, true) {
		if _, err := fn(o); err != nil {
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
