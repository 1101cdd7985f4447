package network

import (
	"math"

	"github.com/elight-photonic/elight/finetune/network/internal/vector"
	"github.com/elight-photonic/elight/quantize/parallel"
)

// The convolution's forward and input-gradient products on OpenBLAS's
// kernel directly (panels.go): the filters are packed once for all groups
// of images, and each product's other operand is gathered straight into
// the kernel's panels: the forward's columns by the filter taps, with no
// im2col matrix in between, the input gradient's dy with no copy into a
// [M, images*OH*OW] matrix first. The products are the ones gemm makes,
// split among goroutines the same way, so the results are the same bit for
// bit (TestConvolutionPanelsMatchSgemm).

// packFilters packs w [M, C*KH*KW] as the B operand of the forward
// products (transposed false) or of the input gradient's (wᵀ, transposed
// true), into the Net's shared filter buffer, or, for the forward of a Net
// whose weights are fixed, once into the convolution's own; nil where the
// products go through cblas_sgemm.
func (cv *convolution) packFilters(w []float32, transposed bool) *packedB {
	if panels == nil || !transposed && cv.groupTaps == nil || transposed && cv.gradOffsets == nil {
		return nil // the offsets the panels are gathered by would not fit an int32
	}
	keep := cv.scratch.keepFilters && !transposed
	if keep && cv.kept != nil {
		return cv.kept
	}
	k, n := cv.patch(), cv.outC
	if transposed {
		k, n = n, k
	}
	if keep {
		cv.kept = panels.pack(transposed, k, n, w, cv.patch(), nil)
		return cv.kept
	}
	pb := panels.pack(transposed, k, n, w, cv.patch(), cv.scratch.filters)
	if pb != nil {
		cv.scratch.filters = pb.data
	}
	return pb
}

// panelProduct computes c [b.n, width] = b's matrix · a, where row l of a
// [b.k, width] is gathered from rowOf(l): a[l][i] = src[at[i]] (+0 where
// at[i] < 0). The lane splits the columns as gemm does.
func (l lane) panelProduct(c []float32, width int, b *packedB, rowOf func(l int) (src []float32, at []int32)) {
	cv := l.cv
	parallel.SplitOn(l.threads, width, b.n*b.k, minParallelWork, func(thread, lo, hi int) {
		sa := cv.scratch.panels[l.worker+thread] // one of the two is 0
		panels.product(lo, hi, b, c, width, false, sa, func(sa []float32, ls, minL, is, minI int) {
			gatherPanels(sa, ls, minL, is, minI, rowOf)
		})
	})
}

// gatherPanels packs depths [ls, ls+minL) of columns [is, is+minI) of the
// matrix rowOf describes into sa, as sgemm_itcopy would from the matrix
// itself. Whole panels of eight columns are gathered eight depths at a
// time (vector.GatherBlock), the rest one cell at a time.
func gatherPanels(sa []float32, ls, minL, is, minI int, rowOf func(l int) ([]float32, []int32)) {
	whole := minI &^ 7
	var srcs [8][]float32
	var ats [8][]int32
	for block := ls; block < ls+minL; block += 8 {
		rows := min(8, ls+minL-block)
		for r := range rows {
			src, at := rowOf(block + r)
			srcs[r], ats[r] = src, at[is:is+minI]
		}
		vector.GatherBlock(sa[(block-ls)*8:], 8*minL, srcs[:rows], ats[:rows], whole/8)
		for r := range rows {
			for i := whole; i < minI; i++ {
				to, step := panelRows(minL, minI, i)
				var v float32
				if at := ats[r][i]; at >= 0 {
					v = srcs[r][at]
				}
				sa[to+(block+r-ls)*step] = v
			}
		}
	}
}

// columnRows is rowOf for the columns of a group's images x: row (c, ki,
// kj) reads channel c's planes by that tap's offsets.
func (cv *convolution) columnRows(x []float32) func(l int) ([]float32, []int32) {
	plane, taps := cv.inH*cv.inW, cv.kH*cv.kW
	return func(l int) ([]float32, []int32) { return x[l/taps*plane:], cv.groupTaps[l%taps] }
}

// gradientRows is rowOf for a group's output gradient dy [count, M, OH,
// OW] as the matrix [M, count*OH*OW] that gather would copy it into.
func (cv *convolution) gradientRows(dy []float32) func(l int) ([]float32, []int32) {
	pixels := cv.pixels()
	return func(l int) ([]float32, []int32) { return dy[l*pixels:], cv.gradOffsets }
}

// newGradOffsets returns, for each pixel i of a group's images, where
// the output gradient holds it from channel 0's plane of the first image:
// image i/OH*OW's plane, pixel i%(OH*OW). Nil where that would not fit an
// int32.
func (cv *convolution) newGradOffsets() []int32 {
	pixels := cv.pixels()
	if cv.perGroup*cv.outC*pixels > math.MaxInt32 {
		return nil
	}
	at := make([]int32, 0, cv.perGroup*pixels)
	for img := range cv.perGroup {
		for p := range pixels {
			at = append(at, int32(img*cv.outC*pixels+p))
		}
	}
	return at
}
