package reorder

import "fmt"

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

// Validate reports whether g describes a non-empty matrix cut into blocks of
// at least one cell whose block columns an Order can index.
func (g Grid) Validate() error {
	if g.Rows <= 0 || g.Cols <= 0 {
		return fmt.Errorf("reorder: empty matrix [%d, %d]", g.Rows, g.Cols)
	}
	if g.K <= 0 || g.K > MaxBlock {
		return fmt.Errorf("reorder: block size %d, want 1 to %d", g.K, MaxBlock)
	}
	if q := g.BlockCols(); q > MaxBlockCols {
		return fmt.Errorf("reorder: %d block columns of [%d, %d] at block %d exceed %d", q, g.Rows, g.Cols, g.K, MaxBlockCols)
	}
	return nil
}

// MaxBlock is the largest core size K: 4096 x 4096 cells, far beyond the
// photonic cores built so far, and small enough that a per-cell order of
// one block row (K*K entries per block) stays addressable.
const MaxBlock = 4096

// MaxBlockCols is the most blocks a core may be programmed with in turn:
// orders index them with uint16, which halves the memory of per-cell orders
// (one entry per weight) against int32.
const MaxBlockCols = 1 << 16
