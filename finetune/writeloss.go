package finetune

import (
	"fmt"
	"math"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
)

// Reference names the block the write-aware loss pulls each block toward.
type Reference string

// The references of the README's method, section 5.
const (
	MeanRow  Reference = "meanR"    // the mean block of the block's row (the reference default)
	MeanAll  Reference = "meanG"    // the mean block of the layer
	Neighbor Reference = "neighbor" // the previous block of the row; the cleared state for the first
)

// Norm names how the loss measures the distance to the reference.
type Norm string

// The distances of the README's method, section 5.
const (
	L1 Norm = "l1" // mean |c - ref| on the signed level
	L2 Norm = "l2" // mean squared difference on the pos and neg arrays side by side
	// Cell is this project's addition: the writes the cell order needs,
	// a smooth form of each cell's largest positive and negative level over
	// its row's blocks. It needs no reference block.
	Cell Norm = "cell"
)

// ParseReference returns the reference named s.
func ParseReference(s string) (Reference, error) {
	switch r := Reference(s); r {
	case MeanRow, MeanAll, Neighbor:
		return r, nil
	}
	return "", fmt.Errorf("unknown reference %q (want meanR, meanG or neighbor)", s)
}

// ParseNorm returns the norm named s.
func ParseNorm(s string) (Norm, error) {
	switch n := Norm(s); n {
	case L1, L2, Cell:
		return n, nil
	}
	return "", fmt.Errorf("unknown loss %q (want l1, l2 or cell)", s)
}

// WriteLoss is ELight's write-aware regularizer for one photonic layer: the
// distance between each K x K block's levels and a reference block. The
// levels are c/(L-1), rounded in the value; the gradient uses the
// derivative of the continuous level (the README's method, section 5).
type WriteLoss struct {
	Ref   Reference
	Norm  Norm
	Block int
	// Writes is the cell order's exact writes for the weights of the
	// last Eval, whatever the norm: what training is meant to lower.
	Writes int64
	layerLevels

	// step holds the levels of the training step's weights once the
	// quantizer or the loss has computed them, so that a step quantizes
	// each weight once; the trainer clears it when the weights change.
	step *rounded

	// scratch holds the per-weight buffers of one evaluation, reused by
	// the next: a VGG8 step otherwise allocates and clears some 170 MB.
	scratch struct {
		levels       levelMap
		gradC, gradM []float64
	}
}

// zeroed returns s resized to n zero elements, reallocated only when too
// small.
func zeroed[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// NewWriteLoss returns the write-aware loss of layer l.
func NewWriteLoss(l onnxio.Layer, cfg quantize.Config, block int, ref Reference, norm Norm) (*WriteLoss, error) {
	q, err := quantize.NewQuantizer(cfg)
	if err != nil {
		return nil, err
	}
	if block < 1 {
		return nil, fmt.Errorf("block size %d must be at least 1", block)
	}
	return &WriteLoss{Ref: ref, Norm: norm, Block: block, layerLevels: layerLevels{layer: l, q: q, perRow: cfg.PerRow}}, nil
}

// levelMap is a layer's levels in matrix layout with what the gradient
// needs: each level's derivative with respect to its own weight and to its
// scale alpha, and which weight is each scale's alpha.
type levelMap struct {
	c        []float64 // normalized signed levels, rounded or continuous
	dcdw     []float64 // d c / d w at fixed alpha
	dcdalpha []float64 // d c / d alpha at fixed w
	negative []bool    // the weight is negative: it lives on the negative array even at level 0
	owner    []int     // per scale, the matrix index of the weight whose |w| is alpha; -1 if alpha is 0
	ownerW   []float64 // that weight
}

// levels returns the levels of w (initializer layout) in matrix layout:
// those of lv, which must be w's, or, for the gradient check, continuous.
func (wl *WriteLoss) levels(w []float32, lv *rounded, continuous bool) *levelMap {
	rows, cols := wl.layer.Rows, wl.layer.Cols
	n := rows * cols
	lm := &wl.scratch.levels
	lm.c, lm.dcdw, lm.dcdalpha = zeroed(lm.c, n), zeroed(lm.dcdw, n), zeroed(lm.dcdalpha, n)
	lm.negative = zeroed(lm.negative, n)
	scales := lv.scales
	lm.owner, lm.ownerW = make([]int, len(scales)), make([]float64, len(scales))
	for s, i := range lv.owner {
		lm.owner[s] = -1
		if i >= 0 {
			lm.owner[s], lm.ownerW[s] = wl.matrixIndex(i), float64(w[i])
		}
	}
	max := float64(wl.q.Max())
	parallelRange(len(w), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := w[i]
			at := wl.matrixIndex(i)
			alpha := wl.alphaAt(scales, i)
			if alpha == 0 {
				continue
			}
			x := float64(v) / alpha
			lm.negative[at] = v < 0
			if continuous {
				lm.c[at] = wl.q.ContinuousLevel(x)
			} else {
				lm.c[at] = float64(lv.level[i]) / max
			}
			// c depends on w / alpha, and alpha = max |w| is a weight too
			g := wl.q.LevelGrad(x)
			lm.dcdw[at] = g / alpha
			lm.dcdalpha[at] = -g * x / alpha
		}
	})
	return lm
}

// chain turns dL/dc (matrix layout) into the gradient with respect to the
// weights (initializer layout), through each level's own weight and
// through alpha into the weight that sets it, as autograd does in the
// reference code, where alpha = max|w| is not detached.
func (wl *WriteLoss) chain(lm *levelMap, gradC []float64) []float32 {
	rows, cols := wl.layer.Rows, wl.layer.Cols
	gradM := zeroed(wl.scratch.gradM, len(gradC))
	wl.scratch.gradM = gradM
	rowAlpha := make([]float64, rows) // each row's share of dL/dalpha
	parallelRange(rows, cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			for at := r * cols; at < (r+1)*cols; at++ {
				gradM[at] = gradC[at] * lm.dcdw[at]
				rowAlpha[r] += gradC[at] * lm.dcdalpha[at]
			}
		}
	})
	gradAlpha := make([]float64, len(lm.owner))
	for r, g := range rowAlpha {
		gradAlpha[wl.scaleOf(r)] += g
	}
	for s, at := range lm.owner {
		if at >= 0 {
			// d alpha / d w = headroom * sign(w) for the weight with the largest magnitude
			gradM[at] += gradAlpha[s] * math.Copysign(wl.q.Config().ScaleFactor(), lm.ownerW[s])
		}
	}
	grad := make([]float32, len(gradC))
	parallelRange(len(grad), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			grad[i] = float32(gradM[wl.matrixIndex(i)])
		}
	})
	return grad
}

// reference returns, in matrix layout, the reference value each cell is
// pulled toward, from the level matrix m (signed levels, or one array).
// Padding cells of partial blocks count as zeros, as the core holds them.
func (wl *WriteLoss) reference(m []float64) []float64 {
	rows, cols, k := wl.layer.Rows, wl.layer.Cols, wl.Block
	p, q := (rows+k-1)/k, (cols+k-1)/k
	ref := make([]float64, rows*cols)
	switch wl.Ref {
	case Neighbor:
		for r := 0; r < rows; r++ {
			for col := k; col < cols; col++ {
				ref[r*cols+col] = m[r*cols+col-k]
			}
		}
		return ref
	case MeanAll:
		mean := make([]float64, k*k)
		for r := 0; r < rows; r++ {
			for col := 0; col < cols; col++ {
				mean[(r%k)*k+col%k] += m[r*cols+col]
			}
		}
		for r := 0; r < rows; r++ {
			for col := 0; col < cols; col++ {
				ref[r*cols+col] = mean[(r%k)*k+col%k] / float64(p*q)
			}
		}
		return ref
	}
	parallelRange(rows, cols, func(lo, hi int) {
		mean := make([]float64, k)
		for r := lo; r < hi; r++ {
			row := m[r*cols : (r+1)*cols]
			clear(mean)
			for col, v := range row {
				mean[col%k] += v
			}
			for col := range row {
				ref[r*cols+col] = mean[col%k] / float64(q)
			}
		}
	})
	return ref
}

// Eval returns the loss of the weights w (initializer layout) and its
// gradient with respect to w.
func (wl *WriteLoss) Eval(w []float32) (float64, []float32) {
	return wl.evalRounded(w, wl.round(w))
}

// evalRounded is Eval with the levels r of w already known.
func (wl *WriteLoss) evalRounded(w []float32, r *rounded) (float64, []float32) {
	lm := wl.levels(w, r, false)
	wl.Writes = wl.exactCellWrites(lm.c)
	return wl.evalLevels(lm, nil)
}

// stepLevels returns the levels of w, the weights of the current training
// step, computing them on the first call of the step.
func (wl *WriteLoss) stepLevels(w []float32) *rounded {
	if wl.step == nil {
		wl.step = wl.round(w)
	}
	return wl.step
}

// stepDequantize is the quantizer of the training graph's forward pass.
func (wl *WriteLoss) stepDequantize(w []float32) []float32 {
	return wl.dequantizeRounded(w, wl.stepLevels(w))
}

// stepEval is the loss of the training graph.
func (wl *WriteLoss) stepEval(w []float32) (float64, []float32) {
	return wl.evalRounded(w, wl.stepLevels(w))
}

// exactCellWrites returns the writes the cell order needs for the rounded
// normalized levels c (matrix layout): per cell, reorder.CellWrites of
// the largest positive and negative level over the row's blocks.
func (wl *WriteLoss) exactCellWrites(c []float64) int64 {
	rows, cols, k := wl.layer.Rows, wl.layer.Cols, wl.Block
	scale := float64(wl.q.Max())
	perRow := make([]int64, rows)
	parallelRange(rows, cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			for b := 0; b < min(k, cols); b++ {
				var p, n int64
				for col := b; col < cols; col += k {
					v := int64(math.Round(c[r*cols+col] * scale))
					p, n = max(p, v), max(n, -v)
				}
				perRow[r] += reorder.CellWrites(p, n)
			}
		}
	})
	var total int64
	for _, w := range perRow {
		total += w
	}
	return total
}

// evalLevels computes the loss from the levels lm. The references come
// from the levels themselves (detached: no gradient flows through them)
// unless fixed is given, which the gradient check uses to hold them still.
func (wl *WriteLoss) evalLevels(lm *levelMap, fixed [][]float64) (float64, []float32) {
	c := lm.c
	n := float64(len(c))
	gradC := zeroed(wl.scratch.gradC, len(c)) // dL/dc
	wl.scratch.gradC = gradC
	var loss float64
	switch wl.Norm {
	case Cell:
		loss = wl.cellWrites(c, gradC)
	case L2:
		pos, neg := make([]float64, len(c)), make([]float64, len(c))
		parallelRange(len(c), 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				pos[i], neg[i] = math.Max(c[i], 0), math.Max(-c[i], 0)
			}
		})
		refPos, refNeg := wl.refs(fixed, pos, neg)
		loss = wl.sumRows(func(i int) float64 {
			dp, dn := pos[i]-refPos[i], neg[i]-refNeg[i]
			// a positive weight moves the pos array up as c grows, a
			// negative one moves the neg array down
			if lm.negative[i] {
				gradC[i] = -dn / n
			} else {
				gradC[i] = dp / n
			}
			return dp*dp + dn*dn
		})
		loss /= 2 * n
	default:
		ref, _ := wl.refs(fixed, c, nil)
		loss = wl.sumRows(func(i int) float64 {
			d := c[i] - ref[i]
			switch {
			case d > 0:
				gradC[i] = 1 / n
			case d < 0:
				gradC[i] = -1 / n
			}
			return math.Abs(d)
		})
		loss /= n
	}
	return loss, wl.chain(lm, gradC)
}

// sumRows returns the sum of term(i) over every matrix index i, computed
// row by row on all CPUs and added in row order, so that the result does
// not depend on how the rows were split.
func (wl *WriteLoss) sumRows(term func(i int) float64) float64 {
	rows, cols := wl.layer.Rows, wl.layer.Cols
	perRow := make([]float64, rows)
	parallelRange(rows, cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			for i := r * cols; i < (r+1)*cols; i++ {
				perRow[r] += term(i)
			}
		}
	})
	var total float64
	for _, v := range perRow {
		total += v
	}
	return total
}

func (wl *WriteLoss) refs(fixed [][]float64, a, b []float64) ([]float64, []float64) {
	if fixed != nil {
		return fixed[0], fixed[1]
	}
	var rb []float64
	if b != nil {
		rb = wl.reference(b)
	}
	return wl.reference(a), rb
}

// softMaxPower is the exponent of the p-norm that stands in for a cell's
// largest level: high enough to track the maximum, low enough that levels
// just below it still get a gradient (the rounded levels tie often).
// cellWrites computes its powers and root by repeated squaring.
const softMaxPower = 8

// cellWrites returns the writes of the cell order, in units of L-1 levels
// per cell that holds a weight, from the signed levels c (matrix layout):
// per cell of a core, with P and N the soft maxima of its positive and
// negative levels over the row's blocks, P + N + min(P, N) (the README's
// method, section 4: visit the smaller side first). It stores dL/dc in grad.
func (wl *WriteLoss) cellWrites(c, grad []float64) float64 {
	rows, cols, k := wl.layer.Rows, wl.layer.Cols, wl.Block
	totals := make([]float64, rows)
	parallelRange(rows, cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row, g := c[r*cols:(r+1)*cols], grad[r*cols:(r+1)*cols]
			for b := 0; b < min(k, cols); b++ {
				var sumPos, sumNeg float64
				for col := b; col < cols; col += k {
					if v := row[col]; v > 0 {
						sumPos += pow8(v)
					} else {
						sumNeg += pow8(-v)
					}
				}
				// the 8th root
				p, n := math.Sqrt(math.Sqrt(math.Sqrt(sumPos))), math.Sqrt(math.Sqrt(math.Sqrt(sumNeg)))
				totals[r] += p + n + min(p, n)
				// the smaller side is crossed twice
				gp, gn := 1.0, 1.0
				switch {
				case p < n:
					gp = 2
				case n < p:
					gn = 2
				default:
					gp, gn = 1.5, 1.5
				}
				for col := b; col < cols; col += k {
					// d p / d v = (v/p)^7
					switch v := row[col]; {
					case v > 0:
						g[col] = gp * pow8(v/p) * p / v
					case v < 0:
						g[col] = -gn * pow8(-v/n) * n / -v
					}
				}
			}
		}
	})
	cells := float64(rows * min(k, cols))
	var total float64
	for _, t := range totals {
		total += t
	}
	for i := range grad {
		grad[i] /= cells
	}
	return total / cells
}

// pow8 is v^8, the soft maximum's power, by repeated squaring.
func pow8(v float64) float64 {
	v *= v
	v *= v
	return v * v
}
