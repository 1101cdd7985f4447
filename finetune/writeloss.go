package finetune

import (
	"fmt"
	"math"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/quantize/parallel"
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

	// levelTable holds, per rounded signed level l+(L-1), what the loss
	// compares of it: computed once, not per weight.
	levelTable []levelValues

	// step is what the training step computes from the weights.
	step stepState

	// scratch holds the buffers of one evaluation, reused by the next:
	// a VGG8 step would otherwise allocate some 200 MB.
	scratch lossScratch
}

// levelValues is what the loss compares of a rounded signed level l: the
// normalized level c = l/(L-1) and its share on the pos and neg arrays.
type levelValues struct{ c, pos, neg float64 }

// lossScratch is what an evaluation needs beyond its input and output.
// Eval's levels aside, nothing in it is the size of the layer: each matrix
// row is evaluated whole, from levels to gradient, in a rowScratch, before
// the next.
type lossScratch struct {
	rows      []rowScratch // one per concurrent range of rows
	rowLoss   []float64    // per matrix row, its share of the loss sum
	rowAlpha  []float64    // per matrix row, its share of dL/dalpha
	rowWrites []int64
	gradAlpha []float64    // per scale
	ownerGrad []float64    // per scale, dL/dw of the weight that sets it, before alpha's share
	meanAll   [2][]float64 // the meanG reference's sums, k x k per side
	levels    rounded      // Eval's
}

// stepState holds what a training step computes from a layer's weights,
// for the ops of the step that need it: the levels, the quantized weights,
// the loss and its gradient, computed in one pass by the quantizer or the
// loss, whichever comes first. Its buffers are the next step's; the
// tensors the graph wraps around them live for one step.
type stepState struct {
	fresh  bool    // computed from the current weights; startStep clears it
	scale  float32 // lambda, which weighs the loss in the graph
	levels rounded
	deq    []float32
	loss   float64
	grad   []float32
}

// startStep tells wl that a training step begins: the weights moved, and
// the step weighs the loss by scale.
func (wl *WriteLoss) startStep(scale float32) { wl.step.fresh, wl.step.scale = false, scale }

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
	wl := &WriteLoss{Ref: ref, Norm: norm, Block: block, layerLevels: layerLevels{layer: l, q: q, perRow: cfg.PerRow}}
	max := q.Max()
	for l := -max; l <= max; l++ {
		c := float64(l) / float64(max)
		wl.levelTable = append(wl.levelTable, levelValues{c, positive(c), positive(-c)})
	}
	return wl, nil
}

// Eval returns the loss of the weights w (initializer layout) and its
// gradient with respect to w.
func (wl *WriteLoss) Eval(w []float32) (float64, []float32) {
	grad := make([]float32, len(w))
	return wl.evaluate(w, &wl.scratch.levels, nil, grad, 1, gradCheck{}), grad
}

// stepCompute quantizes w, the weights of the current training step, and
// evaluates the loss on the first call of the step.
func (wl *WriteLoss) stepCompute(w []float32) {
	st := &wl.step
	if !st.fresh {
		st.deq, st.grad = resized(st.deq, len(w)), resized(st.grad, len(w))
		st.loss = wl.evaluate(w, &st.levels, st.deq, st.grad, st.scale, gradCheck{})
		st.fresh = true
	}
}

// stepDequantize is the quantizer of the training graph's forward pass.
// Its result is valid until the next startStep.
func (wl *WriteLoss) stepDequantize(w []float32) []float32 {
	wl.stepCompute(w)
	return wl.step.deq
}

// stepEval is the loss of the training graph and its gradient times the
// step's scale (see startStep). The gradient is valid until the next
// startStep.
func (wl *WriteLoss) stepEval(w []float32) (float64, []float32) {
	wl.stepCompute(w)
	return wl.step.loss, wl.step.grad
}

// gradCheck is how the gradient check departs from training: the
// continuous levels in place of the rounded ones (the derivative the
// gradient uses is theirs), and the references held still (matrix layout,
// one per side: c for l1, the pos and neg arrays for l2), where training
// recomputes them from the levels and passes no gradient through them.
type gradCheck struct {
	continuous bool
	fixed      [2][]float64
}

// evaluate quantizes w into lv (and deq, the quantizer's forward pass,
// unless nil), returns the loss of w, stores scale times its gradient in
// grad (initializer layout) and, for rounded levels, the cell order's
// writes in wl.Writes. Each matrix row is quantized in the pass that
// evaluates its loss, while it is in cache; only meanG, whose reference
// needs every level of the layer first, quantizes the layer before it.
// Rows are independent but for the sums over them (the loss, alpha's
// gradient), which are added in row order, so the result does not depend
// on how the rows are split over the CPUs.
func (wl *WriteLoss) evaluate(w []float32, lv *rounded, deq, grad []float32, scale float32, check gradCheck) float64 {
	rows, cols := wl.layer.Rows, wl.layer.Cols
	sc := &wl.scratch
	wl.findScales(lv, w)
	lv.level = resized(lv.level, len(w))
	roundInPass := !check.continuous // the gradient check's levels are continuous
	sc.rowLoss, sc.rowAlpha = zeroed(sc.rowLoss, rows), zeroed(sc.rowAlpha, rows)
	sc.rowWrites = zeroed(sc.rowWrites, rows)
	sc.ownerGrad = zeroed(sc.ownerGrad, len(lv.scales))
	if wl.Ref == MeanAll && check.fixed[0] == nil && wl.Norm != Cell {
		if roundInPass {
			wl.roundRows(lv, w, deq)
			roundInPass = false
		}
		wl.sumMeanAll(w, lv, check.continuous)
	}
	wl.ensureRowScratch(parallel.Blocks(rows, cols, minBlockWeights))
	parallel.Split(rows, cols, minBlockWeights, func(part, lo, hi int) {
		s := &sc.rows[part]
		for r := lo; r < hi; r++ {
			if roundInPass {
				wl.roundRow(lv, w, deq, r)
			}
			wl.rowLevels(s, w, lv, r, check.continuous)
			if !check.continuous {
				sc.rowWrites[r] = wl.rowWrites(lv, r)
			}
			sides := wl.rowSides(s)
			sc.rowLoss[r] = wl.rowGradC(s, sides, wl.rowReference(s, r, sides, check.fixed))
			oc := wl.ownerCol(lv, r)
			var ownerGrad float64
			sc.rowAlpha[r], ownerGrad = wl.rowChain(s, r, grad, scale, oc)
			if oc >= 0 {
				sc.ownerGrad[wl.scaleOf(r)] = ownerGrad
			}
		}
	})
	wl.chainAlpha(w, lv, grad, scale)
	if !check.continuous {
		wl.Writes = 0
		for _, n := range sc.rowWrites {
			wl.Writes += n
		}
	}
	return wl.total()
}

// ensureRowScratch sizes a rowScratch for each of n concurrent ranges.
func (wl *WriteLoss) ensureRowScratch(n int) {
	sc := &wl.scratch
	for len(sc.rows) < n {
		sc.rows = append(sc.rows, rowScratch{})
	}
	for i := range sc.rows[:n] {
		sc.rows[i].resize(wl.layer.Cols, wl.Block)
	}
}

// ownerCol returns the column of row r that holds the weight setting the
// row's scale, or -1 if another row holds it or the scale is 0.
func (wl *WriteLoss) ownerCol(lv *rounded, r int) int {
	i := lv.owner[wl.scaleOf(r)]
	if i < 0 {
		return -1
	}
	if or, oc := wl.position(i); or == r {
		return oc
	}
	return -1
}

// chainAlpha adds alpha's share of the gradient to the weight that sets
// alpha, as autograd does in the reference code, where alpha = max|w| is
// not detached: d alpha / d w = headroom * sign(w) for that weight.
func (wl *WriteLoss) chainAlpha(w []float32, lv *rounded, grad []float32, scale float32) {
	sc := &wl.scratch
	sc.gradAlpha = zeroed(sc.gradAlpha, len(lv.scales))
	for r, g := range sc.rowAlpha {
		sc.gradAlpha[wl.scaleOf(r)] += g
	}
	for s, i := range lv.owner {
		if i >= 0 {
			g := sc.ownerGrad[s] + sc.gradAlpha[s]*math.Copysign(wl.q.Config().ScaleFactor(), float64(w[i]))
			grad[i] = float32(g) * scale
		}
	}
}

// total returns the loss from the rows' sums, added in row order.
func (wl *WriteLoss) total() float64 {
	rows, cols, k := wl.layer.Rows, wl.layer.Cols, wl.Block
	var total float64
	for _, v := range wl.scratch.rowLoss {
		total += v
	}
	switch wl.Norm {
	case Cell:
		return total / float64(rows*min(k, cols))
	case L2:
		return total / (2 * float64(rows*cols))
	}
	return total / float64(rows*cols)
}

// sumMeanAll sums the levels of every block position over the layer for
// the meanG reference, per side. Each position's sum runs over the rows in
// order, as one pass over the matrix would add them; the k classes of rows
// (r mod k) are independent, so they are what is split over the CPUs.
func (wl *WriteLoss) sumMeanAll(w []float32, lv *rounded, continuous bool) {
	rows, cols, k := wl.layer.Rows, wl.layer.Cols, wl.Block
	sc := &wl.scratch
	for side := range wl.sides() {
		sc.meanAll[side] = zeroed(sc.meanAll[side], k*k)
	}
	parallel.Split(min(k, rows), cols*max(1, rows/k), minBlockWeights, func(_, lo, hi int) {
		for class := lo; class < hi; class++ {
			for r := class; r < rows; r += k {
				for col := range cols {
					c := wl.levelAt(w, lv, r, col, continuous)
					for side := range wl.sides() {
						sc.meanAll[side][class*k+col%k] += wl.sideValue(c, side)
					}
				}
			}
		}
	})
}

// levelAt returns the normalized level of matrix element (r, col): rounded
// as lv has it, or continuous; 0 where the scale is 0.
func (wl *WriteLoss) levelAt(w []float32, lv *rounded, r, col int, continuous bool) float64 {
	alpha := lv.scales[wl.scaleOf(r)]
	if alpha == 0 {
		return 0
	}
	i := wl.initializerIndex(r, col)
	if continuous {
		return wl.q.ContinuousLevel(float64(w[i]) / alpha)
	}
	return float64(lv.level[i]) / float64(wl.q.Max())
}

// sides returns how many reference arrays the norm compares with: the
// signed levels for l1, the pos and neg arrays for l2, none for cell.
func (wl *WriteLoss) sides() int {
	switch wl.Norm {
	case L2:
		return 2
	case Cell:
		return 0
	}
	return 1
}

// sideValue returns what the norm's side compares of a signed level c: c
// itself for l1; for l2 the level on the pos array (side 0) or the neg
// array (side 1).
func (wl *WriteLoss) sideValue(c float64, side int) float64 {
	switch {
	case wl.Norm != L2:
		return c
	case side == 0:
		return positive(c)
	}
	return positive(-c)
}

// positive is math.Max(c, 0), bit for bit (NaN and -0 included), inlined
// and without a branch on the sign, which is a coin toss per weight: on
// amd64 math.Max is an assembly call, which cost the l2 loss a third of
// its time.
func positive(c float64) float64 {
	if c != c {
		return math.NaN()
	}
	bits := math.Float64bits(c)
	var keep uint64
	if int64(bits) > 0 { // c > 0: neither a sign bit nor +0
		keep = ^uint64(0)
	}
	return math.Float64frombits(bits & keep)
}

// softMaxPower is the exponent of the p-norm that stands in for a cell's
// largest level: high enough to track the maximum, low enough that levels
// just below it still get a gradient (the rounded levels tie often).
// rowCellWrites computes its powers and root by repeated squaring.
const softMaxPower = 8

// pow8 is v^8, the soft maximum's power, by repeated squaring.
func pow8(v float64) float64 {
	v *= v
	v *= v
	return v * v
}
