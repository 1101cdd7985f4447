package finetune

import (
	"math"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/quantize/parallel"
)

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

// rowStart returns where matrix row r starts in the initializer and the
// distance between its consecutive columns there.
func (ll *layerLevels) rowStart(r int) (base, stride int) {
	if ll.layer.Transposed {
		return r, ll.layer.Rows
	}
	return r * ll.layer.Cols, 1
}

// initializerIndex is the initializer index of matrix element (r, col).
func (ll *layerLevels) initializerIndex(r, col int) int {
	base, stride := ll.rowStart(r)
	return base + col*stride
}

// scaleOf returns the index of the scale that matrix row r is divided by.
func (ll *layerLevels) scaleOf(r int) int {
	if ll.perRow {
		return r
	}
	return 0
}

// rounded is one quantization of a layer's weights: the scales, the
// weight that sets each of them, and every weight's signed level. Its
// buffers are reused by the next quantization into it.
type rounded struct {
	scales []float64
	owner  []int   // initializer index of each scale's largest weight; -1 where alpha is 0
	level  []int16 // initializer layout
	best   []scaleCandidate
}

// scaleCandidate is the largest magnitude of a range of weights and the
// first index that has it.
type scaleCandidate struct {
	abs   float64
	index int
}

// resized returns s with n elements, reallocated only when too small; the
// elements are not cleared.
func resized[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// roundRows quantizes w (initializer layout) into r, whose scales are
// w's, and, unless deq is nil, stores the quantizer's forward pass q(w) in
// deq in the same pass over the weights.
func (ll *layerLevels) roundRows(r *rounded, w []float32, deq []float32) {
	r.level = resized(r.level, len(w))
	parallel.Split(ll.layer.Rows, ll.layer.Cols, minBlockWeights, func(_, lo, hi int) {
		for row := lo; row < hi; row++ {
			ll.roundRow(r, w, deq, row)
		}
	})
}

// roundRow quantizes matrix row row of w into r and, unless nil, deq.
func (ll *layerLevels) roundRow(r *rounded, w []float32, deq []float32, row int) {
	alpha := r.scales[ll.scaleOf(row)]
	base, stride := ll.rowStart(row)
	if stride == 1 {
		cols := ll.layer.Cols
		var rowDeq []float32
		if deq != nil {
			rowDeq = deq[base : base+cols]
		}
		ll.q.QuantizeRow(r.level[base:base+cols], rowDeq, w[base:base+cols], alpha)
		return
	}
	// a column of the initializer: quantized weight by weight
	for col := range ll.layer.Cols {
		i := base + col*stride
		level := ll.q.Level(float64(w[i]), alpha)
		r.level[i] = int16(level)
		if deq != nil {
			deq[i] = float32(ll.q.Dequantize(level, alpha))
			if math.IsNaN(float64(w[i])) {
				deq[i] = w[i] // a diverging run shows in the loss
			}
		}
	}
}

// findScales sets r.scales to alpha, one per tensor or per matrix row, and
// r.owner to the weight that sets each: what quantize's Config.Scales
// returns, computed on every CPU. A maximum is exact in any order, and
// ranges of a tensor combine in index order keeping the first index on
// ties, so the owner is the same first weight too.
func (ll *layerLevels) findScales(r *rounded, w []float32) {
	groups := 1
	if ll.perRow {
		groups = ll.layer.Rows
	}
	r.scales, r.owner = resized(r.scales, groups), resized(r.owner, groups)
	if ll.perRow {
		parallel.Split(ll.layer.Rows, ll.layer.Cols, minBlockWeights, func(_, lo, hi int) {
			for row := lo; row < hi; row++ {
				base, stride := ll.rowStart(row)
				// a row's weights in column order are in initializer order
				best := largest(w, base, stride, ll.layer.Cols)
				r.scales[row], r.owner[row] = best.abs, best.index
			}
		})
	} else {
		r.best = resized(r.best, parallel.Blocks(len(w), 1, minBlockWeights))
		parallel.Split(len(w), 1, minBlockWeights, func(part, lo, hi int) {
			r.best[part] = largest(w, lo, 1, hi-lo)
		})
		r.scales[0], r.owner[0] = 0, -1
		for _, b := range r.best {
			if b.abs > r.scales[0] {
				r.scales[0], r.owner[0] = b.abs, b.index
			}
		}
	}
	for g := range r.scales {
		r.scales[g] *= ll.q.Config().ScaleFactor()
	}
}

// largest returns the largest magnitude among the n weights w[base],
// w[base+stride], ... and the first index that has it; NaN is skipped, and
// all zeros give index -1.
func largest(w []float32, base, stride, n int) scaleCandidate {
	best := scaleCandidate{index: -1}
	for j := range n {
		i := base + j*stride
		if a := math.Abs(float64(w[i])); a > best.abs {
			best = scaleCandidate{a, i}
		}
	}
	return best
}

// minBlockWeights is the fewest weights worth a goroutine of their own
// when a loop over a layer's weights is split into blocks
// (parallel.Split's minWork, each index counting its weights as work): the
// quantizer and the write-aware loss visit every weight on every step, so
// their loops run on every CPU, but a block of fewer weights takes less
// time than handing it to another goroutine does.
const minBlockWeights = 4096
