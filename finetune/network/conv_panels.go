package network

import (
	"github.com/elight-photonic/elight/finetune/network/internal/vector"
	"github.com/elight-photonic/elight/quantize/parallel"
)

// The forward convolution on OpenBLAS's kernel directly (panels.go): the
// filters are packed once for all groups of images, and each product's
// columns are gathered by the filter taps straight into the kernel's
// panels, with no column matrix in between. The products are the ones
// gemm makes, split among goroutines the same way, so y is the same bit
// for bit.

// packFilters packs w [M, C*KH*KW] as the B operand of the forward
// products, into the Net's shared filter buffer; nil where the products go
// through cblas_sgemm (no kernel to drive, or groupTaps missing).
func (cv *convolution) packFilters(w []float32) *packedB {
	if panels == nil || cv.groupTaps == nil {
		return nil
	}
	pb := panels.pack(false, cv.patch(), cv.outC, w, cv.patch(), cv.scratch.filters)
	if pb != nil {
		cv.scratch.filters = pb.data
	}
	return pb
}

// panelForward computes prod [M, width] = w · im2col(x) for a group's
// images x, as gemm would with the columns built by im2col.
func (l lane) panelForward(prod, x []float32, width int, filters *packedB) {
	cv := l.cv
	parallel.SplitOn(l.threads, width, cv.outC*cv.patch(), minParallelWork, func(thread, lo, hi int) {
		sa := cv.scratch.panels[l.worker+thread] // one of them is 0
		panels.product(lo, hi, filters, prod, width, false, sa, func(sa []float32, ls, minL, is, minI int) {
			cv.fillColumns(sa, x, ls, minL, is, minI)
		})
	})
}

// fillColumns packs depths [ls, ls+minL) of the output pixels [is,
// is+minI) of a group's column matrix into sa, as sgemm_itcopy would from
// the matrix im2col builds: depth (c, ki, kj) of pixel i is the input cell
// of channel c that tap sees, or +0 in the padding. Whole panels of eight
// pixels are gathered eight depths at a time (vector.GatherBlock), the
// rest one cell at a time.
func (cv *convolution) fillColumns(sa, x []float32, ls, minL, is, minI int) {
	plane, taps := cv.inH*cv.inW, cv.kH*cv.kW
	whole := minI &^ 7
	var srcs [8][]float32
	var ats [8][]int32
	for block := ls; block < ls+minL; block += 8 {
		rows := min(8, ls+minL-block)
		for r := range rows {
			l := block + r
			srcs[r], ats[r] = x[l/taps*plane:], cv.groupTaps[l%taps][is:is+minI]
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
