package finetune

import (
	"fmt"
	"math"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
)

// Reference names the block the write-aware loss pulls each block toward.
type Reference string

// The references of ELIGHT.md section 5.
const (
	MeanRow  Reference = "meanR"    // the mean block of the block's row (the reference default)
	MeanAll  Reference = "meanG"    // the mean block of the layer
	Neighbor Reference = "neighbor" // the previous block of the row; the cleared state for the first
)

// Norm names how the loss measures the distance to the reference.
type Norm string

// The distances of ELIGHT.md section 5.
const (
	L1 Norm = "l1" // mean |c - ref| on the signed level
	L2 Norm = "l2" // mean squared difference on the pos and neg arrays side by side
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
	case L1, L2:
		return n, nil
	}
	return "", fmt.Errorf("unknown loss %q (want l1 or l2)", s)
}

// layerLevels maps a photonic layer's weight initializer onto the matrix
// the core computes and its levels. Weights are in the initializer's
// layout; matrices are row-major [Rows, Cols].
type layerLevels struct {
	layer  onnxio.Layer
	q      *quantize.Quantizer
	perRow bool
}

// position returns the matrix row and column of initializer element i.
func (ll *layerLevels) position(i int) (r, col int) {
	if ll.layer.Transposed {
		return i % ll.layer.Rows, i / ll.layer.Rows
	}
	return i / ll.layer.Cols, i % ll.layer.Cols
}

// scales returns alpha, the largest magnitude of the tensor (one entry) or
// of each matrix row.
func (ll *layerLevels) scales(w []float32) []float64 {
	alpha := make([]float64, 1)
	if ll.perRow {
		alpha = make([]float64, ll.layer.Rows)
	}
	for i, v := range w {
		r := 0
		if ll.perRow {
			r, _ = ll.position(i)
		}
		alpha[r] = max(alpha[r], math.Abs(float64(v)))
	}
	return alpha
}

func (ll *layerLevels) alpha(scales []float64, r int) float64 {
	if ll.perRow {
		return scales[r]
	}
	return scales[0]
}

// dequantize is the forward pass of the quantizer: q(w) for every weight.
func (ll *layerLevels) dequantize(w []float32) []float32 {
	scales := ll.scales(w)
	out := make([]float32, len(w))
	for i, v := range w {
		r, _ := ll.position(i)
		_, deq := ll.q.Value(float64(v), ll.alpha(scales, r))
		out[i] = float32(deq)
	}
	return out
}

// WriteLoss is ELight's write-aware regularizer for one photonic layer: the
// distance between each K x K block's levels and a reference block. The
// levels are c/(L-1), rounded in the value; the gradient uses the
// derivative of the continuous level (ELIGHT.md section 5).
type WriteLoss struct {
	Ref   Reference
	Norm  Norm
	Block int
	layerLevels
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

// levels returns, in matrix layout, the normalized signed levels of w
// (rounded, or continuous for the gradient check), their derivatives with
// respect to each weight, and which weights are negative (they live on the
// negative array even where their rounded level is 0).
func (wl *WriteLoss) levels(w []float32, continuous bool) (c, dcdw []float64, negative []bool) {
	rows, cols := wl.layer.Rows, wl.layer.Cols
	c, dcdw, negative = make([]float64, rows*cols), make([]float64, rows*cols), make([]bool, rows*cols)
	scales := wl.scales(w)
	max := float64(wl.q.Max())
	for i, v := range w {
		r, col := wl.position(i)
		alpha := wl.alpha(scales, r)
		if alpha == 0 {
			continue
		}
		x := float64(v) / alpha
		negative[r*cols+col] = v < 0
		if continuous {
			c[r*cols+col] = wl.q.ContinuousLevel(x)
		} else {
			level, _ := wl.q.Value(float64(v), alpha)
			c[r*cols+col] = float64(level) / max
		}
		dcdw[r*cols+col] = wl.q.LevelGrad(x) / alpha
	}
	return c, dcdw, negative
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
	for r := 0; r < rows; r++ {
		row := m[r*cols : (r+1)*cols]
		mean := make([]float64, k)
		for col, v := range row {
			mean[col%k] += v
		}
		for col := range row {
			ref[r*cols+col] = mean[col%k] / float64(q)
		}
	}
	return ref
}

// Eval returns the loss of the weights w (initializer layout) and its
// gradient with respect to w.
func (wl *WriteLoss) Eval(w []float32) (float64, []float32) {
	c, dcdw, negative := wl.levels(w, false)
	return wl.evalLevels(c, dcdw, negative, nil)
}

// evalLevels computes the loss from levels c. The references come from c
// itself (detached: no gradient flows through them) unless fixed is given,
// which the gradient check uses to hold them still.
func (wl *WriteLoss) evalLevels(c, dcdw []float64, negative []bool, fixed [][]float64) (float64, []float32) {
	n := float64(len(c))
	gradM := make([]float64, len(c))
	var loss float64
	switch wl.Norm {
	case L2:
		pos, neg := make([]float64, len(c)), make([]float64, len(c))
		for i, v := range c {
			pos[i], neg[i] = math.Max(v, 0), math.Max(-v, 0)
		}
		refPos, refNeg := wl.refs(fixed, pos, neg)
		for i := range c {
			dp, dn := pos[i]-refPos[i], neg[i]-refNeg[i]
			loss += dp*dp + dn*dn
			// a positive weight moves the pos array up as it grows, a
			// negative one moves the neg array down
			if negative[i] {
				gradM[i] = -2 * dn * dcdw[i]
			} else {
				gradM[i] = 2 * dp * dcdw[i]
			}
		}
		loss /= 2 * n
		for i := range gradM {
			gradM[i] /= 2 * n
		}
	default:
		ref, _ := wl.refs(fixed, c, nil)
		for i, v := range c {
			d := v - ref[i]
			loss += math.Abs(d)
			switch {
			case d > 0:
				gradM[i] = dcdw[i] / n
			case d < 0:
				gradM[i] = -dcdw[i] / n
			}
		}
		loss /= n
	}
	grad := make([]float32, len(c))
	for i := range grad {
		r, col := wl.position(i)
		grad[i] = float32(gradM[r*wl.layer.Cols+col])
	}
	return loss, grad
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
