package quantize

import (
	"fmt"
	"math"

	"github.com/elight-photonic/elight/quantize/parallel"
)

// Levels is a [Rows, Cols] weight matrix quantized to PCM levels.
type Levels struct {
	Config     Config
	Rows, Cols int
	// Scale holds alpha: one entry for the whole tensor, or one per row
	// when Config.PerRow is set.
	Scale []float64
	// Signed holds the signed levels c = pos - neg in [-(L-1), L-1],
	// row-major [Rows, Cols]. int16 because 8-bit levels reach +-255.
	Signed []int16
}

// Quantize quantizes the row-major [rows, cols] matrix m. Its scale is the
// largest magnitude of the tensor, or of each row with c.PerRow, times
// c.ScaleFactor(). Weights must be finite.
func Quantize(m []float32, rows, cols int, c Config) (*Levels, error) {
	q, err := NewQuantizer(c)
	if err != nil {
		return nil, err
	}
	if rows <= 0 || cols <= 0 || len(m) != rows*cols {
		return nil, fmt.Errorf("quantize: %d weights do not form a [%d, %d] matrix", len(m), rows, cols)
	}
	groups, rowOf := 1, func(int) int { return 0 }
	if c.PerRow {
		groups, rowOf = rows, func(i int) int { return i / cols }
	}
	scale, _, bad := c.Scales(m, groups, rowOf)
	if bad >= 0 {
		// non-finite weights have no level
		return nil, fmt.Errorf("quantize: weight [%d, %d] is %v", bad/cols, bad%cols, m[bad])
	}
	lv := &Levels{Config: c, Rows: rows, Cols: cols, Scale: scale, Signed: make([]int16, len(m))}
	// One logarithm per weight is the whole cost; rows are independent, so
	// split them over the CPUs (a VGG16 classifier has 100M weights):
	// work 1 and minWork 1 give each CPU a block of rows, up to one a row.
	parallel.Split(rows, 1, 1, func(_, r0, r1 int) {
		for r := r0; r < r1; r++ {
			alpha := lv.Alpha(r)
			row := m[r*cols : (r+1)*cols]
			q.QuantizeRow(lv.Signed[r*cols:(r+1)*cols], nil, row, alpha)
		}
	})
	return lv, nil
}

// Scales returns the scale alpha of each of groups groups of weights:
// ScaleFactor() times the largest magnitude among the weights w[i] with
// groupOf(i) equal to the group (a tensor is one group, per-row scaling a
// group per matrix row), and owner, the index of the first weight with that
// magnitude (-1 for a group of zeros), through which training passes
// alpha's gradient. NaN weights are skipped; firstNonFinite is the index of
// the first NaN or infinite weight, or -1.
func (c Config) Scales(w []float32, groups int, groupOf func(i int) int) (alpha []float64, owner []int, firstNonFinite int) {
	alpha, owner, firstNonFinite = make([]float64, groups), make([]int, groups), -1
	for g := range owner {
		owner[g] = -1
	}
	for i, v := range w {
		a := math.Abs(float64(v))
		if firstNonFinite < 0 && (math.IsNaN(a) || math.IsInf(a, 0)) {
			firstNonFinite = i
		}
		if g := groupOf(i); a > alpha[g] {
			alpha[g], owner[g] = a, i
		}
	}
	for g := range alpha {
		alpha[g] *= c.ScaleFactor()
	}
	return alpha, owner, firstNonFinite
}

// Alpha returns the scale of row r.
func (l *Levels) Alpha(r int) float64 {
	if len(l.Scale) == 1 {
		return l.Scale[0]
	}
	return l.Scale[r]
}

// Max returns L-1, the largest level magnitude.
func (l *Levels) Max() int { return l.Config.MaxLevel() }

// At returns the signed level of element (r, col).
func (l *Levels) At(r, col int) int { return int(l.Signed[r*l.Cols+col]) }

// Pos returns the level the positive array holds for element i of Signed:
// |c| for a positive or zero weight, else 0.
func (l *Levels) Pos(i int) int { return max(int(l.Signed[i]), 0) }

// Neg returns the level the negative array holds for element i of Signed:
// |c| for a negative weight, else 0.
func (l *Levels) Neg(i int) int { return max(-int(l.Signed[i]), 0) }

// Dequantized returns q(w) for every element, row-major [Rows, Cols]: the
// weights the photonic core computes with. It panics if l.Config is
// invalid.
func (l *Levels) Dequantized() []float32 {
	out := make([]float32, len(l.Signed))
	l.DequantizeTo(out)
	return out
}

// DequantizeTo writes what Dequantized returns into out, which must have
// one element per level: a caller that no longer needs the weights the
// levels came from can have them overwritten rather than hold a second
// copy. It panics if l.Config is invalid or out has the wrong length.
func (l *Levels) DequantizeTo(out []float32) {
	q, err := NewQuantizer(l.Config)
	if err != nil {
		panic(fmt.Errorf("quantize: Levels with invalid config: %w", err))
	}
	if len(out) != len(l.Signed) {
		panic(fmt.Errorf("quantize: %d weights to dequantize %d levels into", len(out), len(l.Signed)))
	}
	// A row's weights take at most 2L-1 values: each is worked out once
	// per scale and looked up (the same float32 either way), and rows are
	// split over the CPUs as Quantize splits them.
	max := l.Max()
	parallel.Split(l.Rows, 1, 1, func(_, r0, r1 int) {
		table := make([]float32, 2*max+1)
		have := math.NaN() // the scale table holds; NaN equals none
		for r := r0; r < r1; r++ {
			if alpha := l.Alpha(r); alpha != have {
				for c := -max; c <= max; c++ {
					table[c+max] = float32(q.Dequantize(c, alpha))
				}
				have = alpha
			}
			row := out[r*l.Cols : (r+1)*l.Cols]
			for i, c := range l.Signed[r*l.Cols : (r+1)*l.Cols] {
				row[i] = table[int(c)+max]
			}
		}
	})
}

// Histogram returns the number of elements at each signed level:
// h[c + (L-1)] counts level c, len(h) = 2L-1.
func (l *Levels) Histogram() []int64 {
	max := l.Max()
	h := make([]int64, 2*max+1)
	for _, c := range l.Signed {
		h[int(c)+max]++
	}
	return h
}
