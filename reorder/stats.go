package reorder

import "math"

// Stats is the cost of programming a layer (or, summed with Add, a model)
// in some order.
type Stats struct {
	// Writes counts level steps of single cells over both arrays: changing
	// a cell's signed level from u to v costs |u - v|.
	Writes int64
	// Up and Down split Writes into steps that raise a magnitude level on
	// the positive or negative array and steps that lower one.
	Up, Down int64
	// MaxCellWrites is the largest number of writes one cell takes: the
	// cell that wears out first.
	MaxCellWrites int64
	// Energy is EUp*Up + EDown*Down.
	Energy float64
	// LatencyUS is the programming time when all cells of all cores and
	// both arrays are programmed in parallel, step by step: the sum over
	// steps of the slowest cell's time, a cell moving n levels taking n
	// times the one-level time.
	LatencyUS float64
}

// Add accumulates t into s as for layers programmed one after another:
// counts, energy and latency add up; MaxCellWrites is the larger one, since
// each layer has its own cells.
func (s *Stats) Add(t Stats) {
	s.Writes += t.Writes
	s.Up += t.Up
	s.Down += t.Down
	s.MaxCellWrites = max(s.MaxCellWrites, t.MaxCellWrites)
	s.Energy += t.Energy
	s.LatencyUS += t.LatencyUS
}

// Lifetime returns how many times the layer can be programmed in this order
// before its most-written cell reaches the profile's endurance (+Inf if no
// cell is written).
func (s Stats) Lifetime(p Profile) float64 {
	if s.MaxCellWrites == 0 {
		return math.Inf(1)
	}
	return p.Endurance / float64(s.MaxCellWrites)
}
