package network

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/elight-photonic/elight/finetune/network/internal/vector"
	"github.com/elight-photonic/elight/quantize/parallel"
)

// convolution is a 2-D convolution (group 1) of x [N, C, H, W] with filters
// w [M, C, KH, KW] into y [N, M, OH, OW], computed as one matrix product per
// group of images:
//
//	cols = im2col(x[group])     [C*KH*KW, images*OH*OW]
//	y[group] = w · cols         [M, images*OH*OW]
//
// Where OpenBLAS's kernel can be driven directly (panels.go,
// conv_panels.go), the columns are never built: the taps gather them
// straight into the kernel's panels, and the filters are packed once a
// pass. With one image per group the product lands in y's NCHW layout
// directly.
// Late layers have small planes (OH*OW of 16 or 4), where a product per
// image would reread the whole filter bank for a handful of columns, so
// their groups hold several images and the product is scattered into place.
// The bias, and a ReLU that follows the convolution, are applied in that
// same pass over y. The gradients are two more products per group:
// dW += dy · colsᵀ and dcols = wᵀ · dy, which col2im adds back onto dx.
type convolution struct {
	batch, inC, inH, inW int
	outC, kH, kW         int
	outH, outW           int
	strideH, strideW     int
	dilH, dilW           int
	padTop, padLeft      int // the bottom and right pads follow from outH, outW
	relu                 bool

	perGroup int // images per matrix product

	// taps holds, for each filter tap (ki, kj), the input cell each output
	// pixel reads, as an offset in the input plane, or -1 in the padding.
	taps [][]int32

	// groupTaps is taps for the perGroup images of a group side by side,
	// offsets from the plane of the first image: im2col gathers a row of
	// a whole group at once. Nil where the offsets would not fit an int32.
	groupTaps [][]int32

	// gradOffsets is where a group's output gradient holds each of its
	// pixels (newGradOffsets), for the products that read dy in place.
	gradOffsets []int32

	// kept is the forward's packed filters where the scratch keeps them
	// (scratch.keepFilters), packed by the first pass.
	kept *packedB

	// scratch holds the column and product buffers, shared with the
	// other convolutions of the Net.
	scratch *scratch
}

// scratch is the column and product buffers of a Net's convolutions,
// shared by all of them: a Net runs one operation at a time, and no
// convolution keeps anything in them from one operation to the next (the
// filter gradient builds its columns again). One set per convolution held
// 170 MB on torchvision's ResNet-18 at 224 x 224; the largest layer's
// alone is what a shared set grows to.
type scratch struct {
	buffers [][]float32

	// filters is the packed filter bank of the convolution running now
	// (packFilters), and panels one panel buffer per goroutine, where
	// products run on OpenBLAS's kernel directly (panels.go).
	filters []float32
	panels  [][]float32

	// keepFilters is Options.FixedWeights: each convolution packs its
	// forward filters once, into a bank of its own (convolution.kept).
	keepFilters bool
}

// minGroupColumns is the least number of columns (output pixels) one matrix
// product should have; below it, images are grouped.
const minGroupColumns = 256

func newConvolution(xShape, wShape []int, win *window, shared *scratch) *convolution {
	cv := &convolution{
		batch: xShape[0], inC: xShape[1], inH: xShape[2], inW: xShape[3],
		outC: wShape[0], kH: wShape[2], kW: wShape[3],
		outH: win.out[0], outW: win.out[1],
		strideH: win.strides[0], strideW: win.strides[1],
		dilH: win.dilations[0], dilW: win.dilations[1],
		padTop: win.begin[0], padLeft: win.begin[1],
		scratch: shared,
	}
	cv.perGroup = min(max(1, (minGroupColumns+cv.pixels()-1)/cv.pixels()), cv.batch)
	for ki := 0; ki < cv.kH; ki++ {
		for kj := 0; kj < cv.kW; kj++ {
			offsets := make([]int32, 0, cv.pixels())
			for oy := 0; oy < cv.outH; oy++ {
				for ox := 0; ox < cv.outW; ox++ {
					iy, ix := oy*cv.strideH+ki*cv.dilH-cv.padTop, ox*cv.strideW+kj*cv.dilW-cv.padLeft
					at := int32(-1)
					if iy >= 0 && iy < cv.inH && ix >= 0 && ix < cv.inW {
						at = int32(iy*cv.inW + ix)
					}
					offsets = append(offsets, at)
				}
			}
			cv.taps = append(cv.taps, offsets)
		}
	}
	image := cv.inC * cv.inH * cv.inW
	switch {
	case cv.perGroup == 1:
		cv.groupTaps = cv.taps // a group of one image: the same offsets
	case cv.perGroup*image <= math.MaxInt32:
		for _, offsets := range cv.taps {
			group := make([]int32, 0, cv.perGroup*len(offsets))
			for img := range cv.perGroup {
				for _, at := range offsets {
					if at >= 0 {
						at += int32(img * image)
					}
					group = append(group, at)
				}
			}
			cv.groupTaps = append(cv.groupTaps, group)
		}
	}
	cv.gradOffsets = cv.newGradOffsets()
	return cv
}

func (cv *convolution) String() string {
	name := fmt.Sprintf("Conv[%dx%d s%d,%d d%d,%d p%d,%d %d->%d]", cv.kH, cv.kW, cv.strideH, cv.strideW,
		cv.dilH, cv.dilW, cv.padTop, cv.padLeft, cv.inC, cv.outC)
	if cv.relu {
		name += "+Relu"
	}
	return name
}

// patch is the length of one column: the input cells one output pixel sees.
func (cv *convolution) patch() int  { return cv.inC * cv.kH * cv.kW }
func (cv *convolution) pixels() int { return cv.outH * cv.outW }

// lane is where the loops of one group of images run: a goroutine with its
// own scratch buffers (0 columns, 1 product or gathered gradient, 2 filter
// gradient), and the number of goroutines those loops may split into.
type lane struct {
	cv      *convolution
	worker  int
	threads int
}

// buffer returns scratch buffer i of the lane with at least n elements,
// contents undefined.
func (l lane) buffer(i, n int) []float32 {
	s, i := l.cv.scratch, 3*l.worker+i
	for len(s.buffers) <= i {
		s.buffers = append(s.buffers, nil)
	}
	if cap(s.buffers[i]) < n {
		s.buffers[i] = make([]float32, n)
	}
	return s.buffers[i][:n]
}

func (l lane) parallel(n, work int, f func(lo, hi int)) {
	parallel.SplitOn(l.threads, n, work, minParallelWork, func(_, lo, hi int) { f(lo, hi) })
}

// lanes is the number of goroutines that take whole groups of images: with
// at least as many groups as goroutines, each takes a run of groups and
// computes whole matrix products, side by side with the others; otherwise
// the groups run in turn on one lane that splits its loops and products.
func (cv *convolution) lanes() int {
	groups, procs := (cv.batch+cv.perGroup-1)/cv.perGroup, runtime.GOMAXPROCS(0)
	if groups < procs || cv.outC*cv.patch()*cv.batch*cv.pixels() < minParallelWork*procs {
		return 1
	}
	return procs
}

// eachGroup calls f for every group of images, the first count images from
// first on, on cv.lanes() lanes. Each lane takes a fixed run of groups, so
// that a lane's partial sums (filterGrad's) are the same from run to run.
func (cv *convolution) eachGroup(f func(l lane, first, count int)) {
	groups, lanes, threads := cv.prepareLanes()
	parallel.SplitOn(lanes, groups, minParallelWork, minParallelWork, func(worker, lo, hi int) {
		for g := lo; g < hi; g++ {
			first := g * cv.perGroup
			f(lane{cv: cv, worker: worker, threads: threads}, first, min(cv.perGroup, cv.batch-first))
		}
	})
}

// eachGroupBalanced is eachGroup for loops whose results do not depend on
// which lane ran a group (each group writes only its own outputs): a lane
// takes the next group whenever it finishes one, so that a lane slowed down
// (on this virtual machine, a core taken by the host for a while) does not
// leave the other idle at the end of the layer.
func (cv *convolution) eachGroupBalanced(f func(l lane, first, count int)) {
	groups, lanes, threads := cv.prepareLanes()
	if lanes == 1 {
		for g := range groups {
			first := g * cv.perGroup
			f(lane{cv: cv, threads: threads}, first, min(cv.perGroup, cv.batch-first))
		}
		return
	}
	var workers atomic.Int32
	parallel.ItemsWith(groups, func() lane {
		return lane{cv: cv, worker: int(workers.Add(1)) - 1, threads: threads}
	}, func(l lane, g int) {
		first := g * cv.perGroup
		f(l, first, min(cv.perGroup, cv.batch-first))
	})
}

// prepareLanes returns the number of groups, of lanes and of goroutines
// each lane's loops may split into, with the lanes' scratch slots made:
// growing the scratch from several goroutines at once is a data race.
func (cv *convolution) prepareLanes() (groups, lanes, threads int) {
	groups, lanes = (cv.batch+cv.perGroup-1)/cv.perGroup, cv.lanes()
	for len(cv.scratch.buffers) < 3*lanes {
		cv.scratch.buffers = append(cv.scratch.buffers, nil)
	}
	threads = runtime.GOMAXPROCS(0)
	if lanes > 1 {
		threads = 1
	}
	if panels != nil {
		for len(cv.scratch.panels) < max(lanes, threads) {
			cv.scratch.panels = append(cv.scratch.panels, make([]float32, panels.panelBuffer()))
		}
	}
	return groups, lanes, threads
}

// isPointwise reports a 1x1 convolution that reads x as it is, so that the
// columns of one image are its planes.
func (cv *convolution) isPointwise() bool {
	return cv.kH == 1 && cv.kW == 1 && cv.strideH == 1 && cv.strideW == 1 &&
		cv.padTop == 0 && cv.padLeft == 0 && cv.outH == cv.inH && cv.outW == cv.inW
}

// columns returns the column matrix [patch, count*pixels] of a group.
func (l lane) columns(x []float32, first, count int) []float32 {
	cv := l.cv
	image := cv.inC * cv.inH * cv.inW
	if count == 1 && cv.isPointwise() {
		return x[first*image : (first+1)*image]
	}
	cols := l.buffer(0, cv.patch()*count*cv.pixels())
	l.im2col(cols, x[first*image:(first+count)*image], count)
	return cols
}

// im2col fills cols [C*KH*KW, count*OH*OW] from count images x. Row
// (c, ki, kj) holds, for every output pixel, the input cell that filter tap
// sees, or 0 in the padding.
func (l lane) im2col(cols, x []float32, count int) {
	cv := l.cv
	pixels, plane, taps := cv.pixels(), cv.inH*cv.inW, cv.kH*cv.kW
	// below 10 columns, one gather over the whole group's row is faster
	// than shifting each plane (BenchmarkIm2col)
	shift := cv.shifts() && cv.outW >= 10
	l.parallel(cv.patch(), count*pixels, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			if !shift && cv.groupTaps != nil {
				vector.Gather(cols[row*count*pixels:][:count*pixels], x[row/taps*plane:], cv.groupTaps[row%taps])
				continue
			}
			for img := 0; img < count; img++ {
				dst := cols[(row*count+img)*pixels:][:pixels]
				src := x[(img*cv.inC+row/taps)*plane:][:plane]
				if shift {
					cv.shiftRows(dst, src, row%taps)
					continue
				}
				vector.Gather(dst, src, cv.taps[row%taps])
			}
		}
	})
}

// shiftRows is im2col for one filter tap of one plane when the output is as
// wide as the input and the stride is 1: the output rows inside the input
// read one run of the plane, shifted by the tap's offset, and only the
// padding around it is cleared.
func (cv *convolution) shiftRows(dst, src []float32, tap int) {
	offH := tap/cv.kW*cv.dilH - cv.padTop
	offW := tap%cv.kW*cv.dilW - cv.padLeft
	yLo, yHi := validOutputs(cv.outH, cv.inH, offH)
	xLo, xHi := validOutputs(cv.outW, cv.inW, offW)
	lo, hi := yLo*cv.outW, yHi*cv.outW
	clear(dst[:lo])
	clear(dst[hi:])
	shift := offH*cv.inW + offW // dst[i] reads src[i+shift]
	from, to := max(lo, -shift), min(hi, len(src)-shift)
	if from < to {
		copy(dst[from:to], src[from+shift:to+shift])
	}
	for row := lo; row < hi; row += cv.outW {
		for ox := 0; ox < xLo; ox++ {
			dst[row+ox] = 0
		}
		for ox := xHi; ox < cv.outW; ox++ {
			dst[row+ox] = 0
		}
	}
}

// shifts reports whether im2col and col2im move whole runs of a plane's
// rows (shiftRows, addShiftedRows) rather than one pixel at a time by the
// tap offsets: for stride 1 and an output as wide as the input, where a
// filter tap shifts the plane; below about 8 columns the per-pixel offsets
// are faster.
func (cv *convolution) shifts() bool {
	return cv.strideH == 1 && cv.strideW == 1 && cv.inW == cv.outW && cv.outW >= 8
}

// addShiftedRows is col2im for one filter tap of one plane where shifts
// holds: each output row inside the input adds its run of columns onto
// the input row the tap reads. Every input cell gets the same additions
// in the same order as by the tap offsets.
func (cv *convolution) addShiftedRows(dst, src []float32, tap int) {
	offH := tap/cv.kW*cv.dilH - cv.padTop
	offW := tap%cv.kW*cv.dilW - cv.padLeft
	yLo, yHi := validOutputs(cv.outH, cv.inH, offH)
	xLo, xHi := validOutputs(cv.outW, cv.inW, offW)
	for oy := yLo; oy < yHi; oy++ {
		run := src[oy*cv.outW+xLo : oy*cv.outW+xHi]
		vector.Add(dst[(oy+offH)*cv.inW+xLo+offW:][:len(run)], run)
	}
}

// validOutputs is the range [lo, hi) of output positions o whose input
// position o+off lies inside [0, in) (stride 1).
func validOutputs(out, in, off int) (lo, hi int) {
	lo, hi = max(0, -off), min(out, in-off)
	return lo, max(lo, hi)
}

// col2im adds the columns [C*KH*KW, count*OH*OW] back onto count images dx:
// the transpose of im2col. Rows of one input channel add onto the same
// planes, so the goroutines split the channels.
func (l lane) col2im(dx, cols []float32, count int) {
	cv := l.cv
	pixels, plane, taps := cv.pixels(), cv.inH*cv.inW, cv.kH*cv.kW
	shift := cv.shifts()
	l.parallel(cv.inC, taps*count*pixels, func(lo, hi int) {
		for row := lo * taps; row < hi*taps; row++ {
			tap := cv.taps[row%taps][:pixels]
			for img := 0; img < count; img++ {
				src := cols[(row*count+img)*pixels:][:pixels]
				dst := dx[(img*cv.inC+row/taps)*plane:][:plane]
				if shift {
					cv.addShiftedRows(dst, src, row%taps)
					continue
				}
				for p, at := range tap {
					if at >= 0 {
						dst[at] += src[p]
					}
				}
			}
		}
	})
}

// forward computes y = conv(x, w) + bias, then max(y, 0) if cv.relu; bias
// may be nil.
func (cv *convolution) forward(y, x, w, bias []float32) {
	pixels, patch, image := cv.pixels(), cv.patch(), cv.inC*cv.inH*cv.inW
	filters := cv.packFilters(w, false)
	cv.eachGroupBalanced(func(l lane, first, count int) {
		width := count * pixels
		out := y[first*cv.outC*pixels : (first+count)*cv.outC*pixels]
		prod := out
		if count > 1 {
			prod = l.buffer(1, cv.outC*width)
		}
		if filters != nil {
			l.panelProduct(prod, width, filters, cv.columnRows(x[first*image:(first+count)*image]))
		} else {
			cols := l.columns(x, first, count)
			l.gemm(false, false, cv.outC, width, patch, w, patch, cols, width, 0, prod, width)
		}
		l.parallel(cv.outC, width, func(lo, hi int) {
			for m := lo; m < hi; m++ {
				var b float32
				if bias != nil {
					b = bias[m]
				}
				for img := 0; img < count; img++ {
					dst := out[(img*cv.outC+m)*pixels:][:pixels]
					src := dst
					if count > 1 {
						src = prod[(m*count+img)*pixels:][:pixels]
					}
					switch {
					case cv.relu:
						vector.BiasReLU(dst, src, b)
					case count > 1 || b != 0:
						vector.AddBias(dst, src, b)
					}
				}
			}
		})
	})
}

// gather returns a group's output gradient as a matrix [M, count*OH*OW].
func (l lane) gather(dy []float32, first, count int) []float32 {
	cv := l.cv
	pixels := cv.pixels()
	group := dy[first*cv.outC*pixels : (first+count)*cv.outC*pixels]
	if count == 1 {
		return group
	}
	g := l.buffer(1, len(group))
	l.parallel(cv.outC, count*pixels, func(lo, hi int) {
		for m := lo; m < hi; m++ {
			for img := 0; img < count; img++ {
				copy(g[(m*count+img)*pixels:][:pixels], group[(img*cv.outC+m)*pixels:][:pixels])
			}
		}
	})
	return g
}

// filterGrad computes dw = Σ over images of dy · colsᵀ; dw starts zeroed.
// Each lane but the first sums its groups in a buffer of its own, added to
// dw at the end.
func (cv *convolution) filterGrad(dw, x, dy []float32) {
	pixels, patch, lanes := cv.pixels(), cv.patch(), cv.lanes()
	sums := [][]float32{dw}
	for worker := 1; worker < lanes; worker++ {
		sum := lane{cv: cv, worker: worker}.buffer(2, len(dw))
		clear(sum)
		sums = append(sums, sum)
	}
	cv.eachGroup(func(l lane, first, count int) {
		cols := l.columns(x, first, count)
		g := l.gather(dy, first, count)
		width := count * pixels
		l.gemm(false, true, cv.outC, patch, width, g, width, cols, width, 1, sums[l.worker], patch)
	})
	parallel.Split(len(dw), lanes, minParallelWork, func(_, lo, hi int) {
		for _, sum := range sums[1:] {
			vector.Add(dw[lo:hi], sum[lo:hi])
		}
	})
}

// inputGrad computes dx = col2im(wᵀ · dy); dx starts zeroed.
func (cv *convolution) inputGrad(dx, w, dy []float32) {
	pixels, patch, image := cv.pixels(), cv.patch(), cv.inC*cv.inH*cv.inW
	filters := cv.packFilters(w, true)
	cv.eachGroupBalanced(func(l lane, first, count int) {
		width := count * pixels
		cols := l.buffer(0, patch*width)
		if filters != nil {
			l.panelProduct(cols, width, filters, cv.gradientRows(dy[first*cv.outC*pixels:(first+count)*cv.outC*pixels]))
		} else {
			g := l.gather(dy, first, count)
			l.gemm(true, false, patch, width, cv.outC, w, patch, g, width, 0, cols, width)
		}
		l.col2im(dx[first*image:(first+count)*image], cols, count)
	})
}

// gemm computes C = op(A)·op(B) + beta·C for row-major matrices, C [m, n],
// splitting the columns of C among the lane's goroutines: each packs its own
// columns of op(B), the larger operand in a convolution, and all of op(A).
func (l lane) gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	tA, tB := blas.NoTrans, blas.NoTrans
	if transA {
		tA = blas.Trans
	}
	if transB {
		tB = blas.Trans
	}
	l.parallel(n, m*k, func(lo, hi int) {
		first := lo // where the block's first column of op(B) starts
		if transB {
			first = lo * ldb
		}
		gemm.Sgemm(tA, tB, m, hi-lo, k, 1, a, lda, b[first:], ldb, beta, c[lo:], ldc)
	})
}

// convNode adds the convolution of x by w, plus bias when it is non-nil,
// rectified when cv.relu is set.
func convNode(cv *convolution, x, w, bias *G.Node) (*G.Node, error) {
	inputs := G.Nodes{x, w}
	if bias != nil {
		inputs = append(inputs, bias)
	}
	outShape := tensor.Shape{cv.batch, cv.outC, cv.outH, cv.outW}
	forward := func(out []float32, in [][]float32) {
		var b []float32
		if len(in) > 2 {
			b = in[2]
		}
		cv.forward(out, in[0], in[1], b)
	}
	backward := func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
		var err error
		if cv.relu {
			if grad, err = reluGradNode(output, grad); err != nil {
				return nil, err
			}
		}
		grads := make(G.Nodes, len(inputs))
		if !isDataInput(inputs[0]) {
			grads[0], err = applyKernel("ConvInputGrad", inputs[0].Shape(), func(out []float32, in [][]float32) {
				cv.inputGrad(out, in[0], in[1])
			}, nil, inputs[1], grad)
			if err != nil {
				return nil, err
			}
		}
		grads[1], err = applyKernel("ConvFilterGrad", inputs[1].Shape(), func(out []float32, in [][]float32) {
			cv.filterGrad(out, in[0], in[1])
		}, nil, inputs[0], grad)
		if err != nil {
			return nil, err
		}
		if len(inputs) > 2 {
			grads[2], err = channelSumNode(grad, inputs[2].Shape())
		}
		return grads, err
	}
	return filling(applyKernel(cv.String(), outShape, forward, backward, inputs...))
}
