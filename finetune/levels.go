package finetune

import (
	"math"
	"runtime"
	"sync"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
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

// matrixIndex returns the row-major matrix index of initializer element i:
// i itself unless the initializer stores the matrix transposed.
func (ll *layerLevels) matrixIndex(i int) int {
	if !ll.layer.Transposed {
		return i
	}
	r, col := ll.position(i)
	return r*ll.layer.Cols + col
}

// scales returns alpha, one per tensor or per matrix row (quantize's
// Config.Scales), and the initializer index of the weight that sets each.
func (ll *layerLevels) scales(w []float32) (alpha []float64, owner []int) {
	groups, rowOf := 1, func(int) int { return 0 }
	if ll.perRow {
		groups = ll.layer.Rows
		rowOf = func(i int) int { r, _ := ll.position(i); return r }
	}
	alpha, owner, _ = ll.q.Config().Scales(w, groups, rowOf)
	return alpha, owner
}

// alphaAt returns the scale of initializer element i.
func (ll *layerLevels) alphaAt(scales []float64, i int) float64 {
	if !ll.perRow {
		return scales[0] // no need to find the row
	}
	r, _ := ll.position(i)
	return scales[r]
}

// scaleOf returns the index of the scale that matrix row r is divided by.
func (ll *layerLevels) scaleOf(r int) int {
	if ll.perRow {
		return r
	}
	return 0
}

// rounded is one quantization of a layer's weights: the scales, the
// weight that sets each of them, and every weight's signed level.
type rounded struct {
	scales []float64
	owner  []int   // initializer index of each scale's largest weight; -1 where alpha is 0
	level  []int16 // initializer layout
}

// round quantizes w (initializer layout).
func (ll *layerLevels) round(w []float32) *rounded {
	r := &rounded{level: make([]int16, len(w))}
	r.scales, r.owner = ll.scales(w)
	parallelRange(len(w), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r.level[i] = int16(ll.q.Level(float64(w[i]), ll.alphaAt(r.scales, i)))
		}
	})
	return r
}

// dequantize is the forward pass of the quantizer: q(w) for every weight.
func (ll *layerLevels) dequantize(w []float32) []float32 {
	return ll.dequantizeRounded(w, ll.round(w))
}

// dequantizeRounded is dequantize with the levels r of w already known.
func (ll *layerLevels) dequantizeRounded(w []float32, r *rounded) []float32 {
	out := make([]float32, len(w))
	parallelRange(len(w), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = float32(ll.q.Dequantize(int(r.level[i]), ll.alphaAt(r.scales, i)))
			if math.IsNaN(float64(w[i])) {
				out[i] = w[i] // a diverging run shows in the loss
			}
		}
	})
	return out
}

// parallelRange splits [0, n) into one contiguous range per CPU and runs
// f on them concurrently: the quantizer and the write-aware loss visit
// every weight on every step. Each index stands for perIndex weights;
// ranges of fewer than 4096 weights are not worth a goroutine.
func parallelRange(n, perIndex int, f func(lo, hi int)) {
	parallelParts(n, perIndex, func(_, lo, hi int) { f(lo, hi) })
}

// parts returns how many ranges parallelRange splits n indices of
// perIndex weights into.
func parts(n, perIndex int) int {
	return min(runtime.GOMAXPROCS(0), max(1, n*perIndex/4096), n)
}

// parallelParts is parallelRange that also tells f which of the parts(n,
// perIndex) ranges it has, so that each can have scratch space of its own.
func parallelParts(n, perIndex int, f func(part, lo, hi int)) {
	parts := parts(n, perIndex)
	if parts == 1 {
		f(0, 0, n) // no goroutine for one range
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() { f(p, p*n/parts, (p+1)*n/parts) })
	}
	wg.Wait()
}
