// Package reorder partitions photonic layers into core-sized blocks, counts
// the PCM writes of programming them, and finds programming orders that
// need fewer writes.
package reorder

// Grid is the partition of a layer's [Rows, Cols] weight matrix into K x K
// blocks, zero-padded to whole blocks. Block (i, j) covers rows
// i*K..(i+1)*K-1 and columns j*K..(j+1)*K-1; core i is programmed with
// blocks (i, 0), (i, 1), ... in turn.
type Grid struct {
	Rows, Cols, K int
}

// BlockRows is p = ceil(Rows/K): the number of cores working in parallel.
func (g Grid) BlockRows() int { return (g.Rows + g.K - 1) / g.K }

// BlockCols is q = ceil(Cols/K): the number of blocks each core is
// programmed with in turn.
func (g Grid) BlockCols() int { return (g.Cols + g.K - 1) / g.K }

// Blocks is the number of blocks, p*q.
func (g Grid) Blocks() int { return g.BlockRows() * g.BlockCols() }
