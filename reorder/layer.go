package reorder

import (
	"fmt"

	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/quantize/parallel"
)

// Layer is a quantized weight matrix cut into the K x K blocks its cores are
// programmed with, laid out for the per-cell work of reordering: the q levels
// one cell of one core receives in turn are contiguous.
type Layer struct {
	Grid
	// Max is L-1: every level lies in [-Max, Max].
	Max int
	// levels is cell-major [p][K*K][q]: cell (a, b) of core i holds
	// levels[((i*K+a)*K+b)*q + j] when programmed with block (i, j).
	levels []int16
}

// Partition zero-pads the quantized matrix lv to whole k x k blocks and cuts
// it into blocks: block (i, j) is rows i*k..(i+1)*k-1 and columns
// j*k..(j+1)*k-1 of the padded matrix.
func Partition(lv *quantize.Levels, k int) (*Layer, error) {
	if err := lv.Config.Validate(); err != nil {
		return nil, err
	}
	g := Grid{Rows: lv.Rows, Cols: lv.Cols, K: k}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if len(lv.Signed) != lv.Rows*lv.Cols {
		return nil, fmt.Errorf("reorder: %d levels do not form a [%d, %d] matrix", len(lv.Signed), lv.Rows, lv.Cols)
	}
	// Out-of-range levels would overflow the lanes of the distance kernel
	// and the accounting's tables.
	maxLevel := lv.Max()
	for i, c := range lv.Signed {
		if c < int16(-maxLevel) || c > int16(maxLevel) {
			return nil, fmt.Errorf("reorder: level %d of element [%d, %d] outside [-%d, %d]", c, i/lv.Cols, i%lv.Cols, maxLevel, maxLevel)
		}
	}
	q := g.BlockCols()
	l := &Layer{Grid: g, Max: maxLevel, levels: make([]int16, g.BlockRows()*k*k*q)}
	parallel.Items(g.BlockRows(), func(i int) {
		for a := range min(k, g.Rows-i*k) {
			src := lv.Signed[(i*k+a)*g.Cols : (i*k+a+1)*g.Cols]
			for b := range k {
				dst := l.levels[((i*k+a)*k+b)*q : ((i*k+a)*k+b+1)*q]
				// Padding columns stay zero: the last block may end early.
				for j := range q {
					if col := j*k + b; col < g.Cols {
						dst[j] = src[col]
					}
				}
			}
		}
	})
	return l, nil
}

// Seq returns the levels cell (a, b) of core i receives from blocks
// (i, 0), (i, 1), ..., (i, q-1): Seq(i, a, b)[j] is element (a, b) of block
// (i, j). The slice shares the layer's storage.
func (l *Layer) Seq(i, a, b int) []int16 {
	q := l.BlockCols()
	off := ((i*l.K+a)*l.K + b) * q
	return l.levels[off : off+q : off+q]
}

// At returns element (a, b) of block (i, j).
func (l *Layer) At(i, j, a, b int) int { return int(l.Seq(i, a, b)[j]) }

// row returns the K*K cell sequences of core i, cell-major [K*K][q].
func (l *Layer) row(i int) []int16 {
	n := l.K * l.K * l.BlockCols()
	return l.levels[i*n : (i+1)*n]
}
