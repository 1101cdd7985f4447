package network

import (
	"fmt"
	"math"

	"github.com/elight-photonic/elight/finetune/network/internal/vector"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize/parallel"
	G "gorgonia.org/gorgonia"
)

// window is the sliding-window geometry shared by Conv and the pooling
// operators, for two spatial dimensions.
type window struct {
	kernel, strides, dilations []int
	begin, end                 []int // padding before and after, per axis
	out                        []int // output spatial size
}

// newWindow reads kernel_shape, strides, dilations, pads, auto_pad and
// ceil_mode for an input of spatial size in.
func newWindow(n *onnxio.Node, in, kernel []int, isConv bool) (*window, error) {
	rank := len(in)
	w := &window{kernel: kernel, begin: make([]int, rank), end: make([]int, rank), out: make([]int, rank)}
	w.strides = intsAttr(n, "strides", rank, 1)
	w.dilations = intsAttr(n, "dilations", rank, 1)
	if len(w.strides) != rank || len(w.dilations) != rank {
		return nil, fmt.Errorf("strides %v or dilations %v do not have %d entries", w.strides, w.dilations, rank)
	}
	for d := 0; d < rank; d++ {
		if w.strides[d] < 1 || w.dilations[d] < 1 || kernel[d] < 1 {
			return nil, fmt.Errorf("kernel %v, strides %v and dilations %v must be positive", kernel, w.strides, w.dilations)
		}
	}
	ceil := !isConv && n.AttrInt("ceil_mode", 0) == 1
	autoPad := n.AttrString("auto_pad", "NOTSET")
	switch autoPad {
	case "NOTSET", "":
		pads := intsAttr(n, "pads", 2*rank, 0)
		if len(pads) != 2*rank {
			return nil, fmt.Errorf("pads %v does not have %d entries", pads, 2*rank)
		}
		copy(w.begin, pads[:rank])
		copy(w.end, pads[rank:])
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for d := 0; d < rank; d++ {
			out := (in[d] + w.strides[d] - 1) / w.strides[d]
			total := max((out-1)*w.strides[d]+w.extent(d)-in[d], 0)
			small, large := total/2, total-total/2
			if autoPad == "SAME_UPPER" {
				w.begin[d], w.end[d] = small, large
			} else {
				w.begin[d], w.end[d] = large, small
			}
		}
	default:
		return nil, fmt.Errorf("auto_pad %q is not supported", autoPad)
	}
	for d := 0; d < rank; d++ {
		if w.begin[d] < 0 || w.end[d] < 0 {
			return nil, fmt.Errorf("negative pads %v %v", w.begin, w.end)
		}
		span := in[d] + w.begin[d] + w.end[d] - w.extent(d)
		if span < 0 {
			return nil, fmt.Errorf("kernel %v is larger than the padded input %v", kernel, in)
		}
		w.out[d] = span/w.strides[d] + 1
		if ceil && span%w.strides[d] != 0 {
			w.out[d]++
			// as PyTorch: the last window must start inside the input or its left padding
			if (w.out[d]-1)*w.strides[d] >= in[d]+w.begin[d] {
				w.out[d]--
			}
		}
	}
	return w, nil
}

// extent is the span of the dilated kernel along axis d.
func (w *window) extent(d int) int { return (w.kernel[d]-1)*w.dilations[d] + 1 }

func intsAttr(n *onnxio.Node, name string, rank, def int) []int {
	vals := n.AttrInts(name, nil)
	if vals == nil {
		out := make([]int, rank)
		for i := range out {
			out[i] = def
		}
		return out
	}
	out := make([]int, len(vals))
	for i, v := range vals {
		out[i] = int(v)
	}
	return out
}

// poolGeometry reads a pooling node for an input [N, C, spatial...]; a 1-D
// pool is treated as 2-D with height 1.
func poolGeometry(n *onnxio.Node, shape []int) (w *window, planes, h, wd int, err error) {
	kernel := intsAttr(n, "kernel_shape", 0, 0)
	spatial := shape[2:]
	if len(shape) < 3 || len(kernel) != len(spatial) {
		return nil, 0, 0, 0, fmt.Errorf("kernel_shape %v does not match input %v", kernel, shape)
	}
	if len(spatial) > 2 {
		return nil, 0, 0, 0, fmt.Errorf("%d-D pooling is not supported (1-D and 2-D are)", len(spatial))
	}
	if w, err = newWindow(n, spatial, kernel, false); err != nil {
		return nil, 0, 0, 0, err
	}
	h, wd = 1, spatial[len(spatial)-1]
	if len(spatial) == 2 {
		h = spatial[0]
	} else {
		w = &window{
			kernel: []int{1, w.kernel[0]}, strides: []int{1, w.strides[0]}, dilations: []int{1, w.dilations[0]},
			begin: []int{0, w.begin[0]}, end: []int{0, w.end[0]}, out: []int{1, w.out[0]},
		}
	}
	return w, shape[0] * shape[1], h, wd, nil
}

func poolOutShape(shape []int, w *window) []int {
	out := []int{shape[0], shape[1]}
	if len(shape) == 3 {
		return append(out, w.out[1])
	}
	return append(out, w.out...)
}

// pool2d is the geometry of a 2-D pooling over planes of h x wd cells: for
// every output row and column, the kernel taps that fall inside the input.
type pool2d struct {
	*window
	planes, h, wd int
	rows, cols    []tapRange // by output row, output column

	// halves marks the common 2x2 window with stride 2 that never leaves
	// the input, which has its own loops; tiles, halves whose windows cover
	// every cell of the input (even height and width).
	halves, tiles bool

	// inner is the run of output columns [inner[0], inner[1]) whose
	// windows step two cells along the row, undilated, and lie inside it
	// (ResNet's 3x3 stride 2): max pooling runs them eight at a time.
	// Empty for other windows.
	inner [2]int
}

// tapRange is the run of kernel taps [lo, hi) along one axis that lie
// inside the input at one output position; input index start + k*dilation.
type tapRange struct{ lo, hi, start int }

func newPool2d(w *window, planes, h, wd int) *pool2d {
	p := &pool2d{window: w, planes: planes, h: h, wd: wd}
	p.rows = w.tapRanges(0, h)
	p.cols = w.tapRanges(1, wd)
	p.halves = true
	for d, size := range []int{h, wd} {
		p.halves = p.halves && w.kernel[d] == 2 && w.strides[d] == 2 && w.dilations[d] == 1 &&
			w.begin[d] == 0 && 2*w.out[d] <= size
	}
	p.tiles = p.halves && 2*w.out[0] == h && 2*w.out[1] == wd
	if !p.halves && w.strides[1] == 2 && w.dilations[1] == 1 && h*wd <= math.MaxInt32 {
		for ow, c := range p.cols {
			if c.lo == 0 && c.hi == w.kernel[1] {
				if p.inner[1] == 0 {
					p.inner[0] = ow
				}
				p.inner[1] = ow + 1
			}
		}
	}
	return p
}

func (w *window) tapRanges(d, size int) []tapRange {
	ranges := make([]tapRange, w.out[d])
	for o := range ranges {
		start := o*w.strides[d] - w.begin[d]
		r := tapRange{lo: w.kernel[d], hi: w.kernel[d], start: start}
		for k := 0; k < w.kernel[d]; k++ {
			if i := start + k*w.dilations[d]; i >= 0 && i < size {
				r.lo, r.hi = min(r.lo, k), k+1
			}
		}
		ranges[o] = r
	}
	return ranges
}

// cells is the number of input cells in the window at output (oh, ow).
func (p *pool2d) cells(oh, ow int) int {
	return (p.rows[oh].hi - p.rows[oh].lo) * (p.cols[ow].hi - p.cols[ow].lo)
}

// eachPlane splits the planes (the channels of every image) among the
// goroutines; inPlane and outPlane select a plane's cells.
func (p *pool2d) eachPlane(f func(lo, hi int)) {
	parallel.Split(p.planes, p.h*p.wd+p.out[0]*p.out[1]*p.kernel[0]*p.kernel[1], minParallelWork, func(_, lo, hi int) { f(lo, hi) })
}

func (p *pool2d) inPlane(s []float32, q int) []float32 { return p.inPlanes(s, q, q+1) }

func (p *pool2d) outPlane(s []float32, q int) []float32 { return p.outPlanes(s, q, q+1) }

// inPlanes and outPlanes select the cells of planes [lo, hi).
func (p *pool2d) inPlanes(s []float32, lo, hi int) []float32 {
	return s[lo*p.h*p.wd : hi*p.h*p.wd]
}

func (p *pool2d) outPlanes(s []float32, lo, hi int) []float32 {
	size := len(p.rows) * len(p.cols)
	return s[lo*size : hi*size]
}

// maxRow sets y[ow] to the largest cell of the window at output (oh, ow),
// or -Inf for a window outside the input. Every window takes its taps in
// the same order, from -Inf on, whichever loop runs it, so that NaNs and
// signed zeros come out the same.
func (p *pool2d) maxRow(plane []float32, oh int, y []float32) {
	if p.halves {
		top := plane[2*oh*p.wd:]
		vector.MaxPairs(y[:len(p.cols)], top, top[p.wd:])
		return
	}
	r, dh, dw := p.rows[oh], p.dilations[0], p.dilations[1]
	window := func(ow int) {
		c := p.cols[ow]
		best := float32(math.Inf(-1))
		for kh := r.lo; kh < r.hi; kh++ {
			line := plane[(r.start+kh*dh)*p.wd:]
			for kw := c.lo; kw < c.hi; kw++ {
				best = max(best, line[c.start+kw*dw])
			}
		}
		y[ow] = best
	}
	lo, hi := p.inner[0], p.inner[1]
	for ow := range lo {
		window(ow)
	}
	if lo < hi {
		best, start := y[lo:hi], p.cols[lo].start
		for i := range best {
			best[i] = float32(math.Inf(-1))
		}
		for kh := r.lo; kh < r.hi; kh++ {
			line := plane[(r.start+kh*dh)*p.wd+start:]
			for kw := range p.kernel[1] {
				vector.MaxStride2(best, line[kw:])
			}
		}
	}
	for ow := hi; ow < len(p.cols); ow++ {
		window(ow)
	}
}

// maxGradRow adds dy[ow] to the cell the window at output (oh, ow) took:
// the first one that holds its maximum y[ow]. The taps are scanned from the
// last and compared as bits, so that the search compiles to conditional
// moves rather than branches, which would be taken at random. The inner
// windows are searched eight at a time into at (len(p.cols) long, scratch);
// every row adds onto dx in the order of its outputs.
func (p *pool2d) maxGradRow(plane, dx []float32, oh int, y, dy []float32, at []int32) {
	if p.halves {
		wd := p.wd
		for ow := range y[:len(p.cols)] {
			i, want := 2*oh*wd+2*ow, math.Float32bits(y[ow])
			at := wd + 1 // offset in the window; the first match wins
			at ^= (wd ^ at) & equalMask(math.Float32bits(plane[i+wd]), want)
			at ^= (1 ^ at) & equalMask(math.Float32bits(plane[i+1]), want)
			at &^= equalMask(math.Float32bits(plane[i]), want)
			dx[i+at] += dy[ow]
		}
		return
	}
	r, dh, dw := p.rows[oh], p.dilations[0], p.dilations[1]
	window := func(ow int) {
		c := p.cols[ow]
		at, want := -1, math.Float32bits(y[ow])
		for kh := r.hi - 1; kh >= r.lo; kh-- {
			line := (r.start+kh*dh)*p.wd + c.start
			for kw := c.hi - 1; kw >= c.lo; kw-- {
				if math.Float32bits(plane[line+kw*dw]) == want {
					at = line + kw*dw
				}
			}
		}
		if at >= 0 {
			dx[at] += dy[ow]
		}
	}
	lo, hi := p.inner[0], p.inner[1]
	for ow := range lo {
		window(ow)
	}
	if lo < hi {
		at, start := at[lo:hi], p.cols[lo].start
		for i := range at {
			at[i] = -1
		}
		for kh := r.hi - 1; kh >= r.lo; kh-- {
			line := (r.start + kh*dh) * p.wd // the tap's cell is line + kw + the window's start
			for kw := p.kernel[1] - 1; kw >= 0; kw-- {
				vector.MatchStride2(at, y[lo:hi], plane[line+start+kw:], int32(line+kw))
			}
		}
		for i, cell := range at {
			if cell >= 0 {
				dx[int(cell)+p.cols[lo+i].start] += dy[lo+i]
			}
		}
	}
	for ow := hi; ow < len(p.cols); ow++ {
		window(ow)
	}
}

// equalMask is -1 (every bit set) when a == b, else 0.
func equalMask(a, b uint32) int {
	d := a ^ b
	return int((d|-d)>>31) - 1
}

// sum adds the cells of the window at output (oh, ow).
func (p *pool2d) sum(plane []float32, oh, ow int) float32 {
	r, c := p.rows[oh], p.cols[ow]
	var sum float32
	for kh := r.lo; kh < r.hi; kh++ {
		line := plane[(r.start+kh*p.dilations[0])*p.wd:]
		for kw := c.lo; kw < c.hi; kw++ {
			sum += line[c.start+kw*p.dilations[1]]
		}
	}
	return sum
}

// spread adds g to every cell of the window at output (oh, ow).
func (p *pool2d) spread(plane []float32, oh, ow int, g float32) {
	r, c := p.rows[oh], p.cols[ow]
	for kh := r.lo; kh < r.hi; kh++ {
		line := plane[(r.start+kh*p.dilations[0])*p.wd:]
		for kw := c.lo; kw < c.hi; kw++ {
			line[c.start+kw*p.dilations[1]] += g
		}
	}
}

func buildMaxPool(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	if n.AttrInt("storage_order", 0) != 0 {
		return nil, fmt.Errorf("storage_order=1 is not supported")
	}
	shape := ins[0].shape
	w, planes, h, wd, err := poolGeometry(n, shape)
	if err != nil {
		return nil, err
	}
	x, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	p := newPool2d(w, planes, h, wd)
	forward := func(out []float32, in [][]float32) {
		if p.tiles {
			// the planes' rows, one after another, are pairs of rows
			p.eachPlane(func(lo, hi int) {
				vector.MaxPool2x2(p.outPlanes(out, lo, hi), p.inPlanes(in[0], lo, hi), p.wd)
			})
			return
		}
		p.eachPlane(func(lo, hi int) {
			for q := lo; q < hi; q++ {
				x, y := p.inPlane(in[0], q), p.outPlane(out, q)
				for oh := range p.rows {
					p.maxRow(x, oh, y[oh*len(p.cols):])
				}
			}
		})
	}
	backward := func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
		if p.tiles {
			// writes every cell of dx, so its buffer is not cleared first
			dx, err := filling(applyKernel("MaxPoolGrad", inputs[0].Shape(), func(out []float32, in [][]float32) {
				p.eachPlane(func(lo, hi int) {
					vector.MaxPool2x2Grad(p.inPlanes(out, lo, hi), p.inPlanes(in[0], lo, hi),
						p.outPlanes(in[1], lo, hi), p.outPlanes(in[2], lo, hi), p.wd)
				})
			}, nil, inputs[0], output, grad))
			return G.Nodes{dx}, err
		}
		dx, err := applyKernel("MaxPoolGrad", inputs[0].Shape(), func(out []float32, in [][]float32) {
			p.eachPlane(func(lo, hi int) {
				at := make([]int32, len(p.cols))
				for q := lo; q < hi; q++ {
					x, dx, y, dy := p.inPlane(in[0], q), p.inPlane(out, q), p.outPlane(in[1], q), p.outPlane(in[2], q)
					for oh := range p.rows {
						row := oh * len(p.cols)
						p.maxGradRow(x, dx, oh, y[row:], dy[row:], at)
					}
				}
			})
		}, nil, inputs[0], output, grad)
		return G.Nodes{dx}, err
	}
	outShape := poolOutShape(shape, w)
	y, err := filling(applyKernel(fmt.Sprintf("MaxPool%v", w.kernel), runtimeShape(outShape), forward, backward, x))
	return []*value{{shape: outShape, node: y}}, err
}

func buildAveragePool(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	shape := ins[0].shape
	w, planes, h, wd, err := poolGeometry(n, shape)
	if err != nil {
		return nil, err
	}
	x, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	p := newPool2d(w, planes, h, wd)
	includePad := n.AttrInt("count_include_pad", 0) == 1
	// divisor counts the window's cells inside the input, or inside the
	// padded input when padding counts; cells past the padding, which
	// ceil_mode can add, never count.
	divisor := make([]float32, len(p.rows)*len(p.cols))
	for oh := range p.rows {
		for ow := range p.cols {
			count := p.cells(oh, ow)
			if includePad {
				count = w.paddedCount(0, oh, h) * w.paddedCount(1, ow, wd)
			}
			divisor[oh*len(p.cols)+ow] = float32(max(count, 1))
		}
	}
	forward := func(out []float32, in [][]float32) {
		p.eachPlane(func(lo, hi int) {
			for q := lo; q < hi; q++ {
				x, y := p.inPlane(in[0], q), p.outPlane(out, q)
				for oh := range p.rows {
					for ow := range p.cols {
						o := oh*len(p.cols) + ow
						y[o] = p.sum(x, oh, ow) / divisor[o]
					}
				}
			}
		})
	}
	backward := func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		dx, err := applyKernel("AveragePoolGrad", inputs[0].Shape(), func(out []float32, in [][]float32) {
			p.eachPlane(func(lo, hi int) {
				for q := lo; q < hi; q++ {
					dx, dy := p.inPlane(out, q), p.outPlane(in[0], q)
					for oh := range p.rows {
						for ow := range p.cols {
							o := oh*len(p.cols) + ow
							p.spread(dx, oh, ow, dy[o]/divisor[o])
						}
					}
				}
			})
		}, nil, grad)
		return G.Nodes{dx}, err
	}
	outShape := poolOutShape(shape, w)
	y, err := filling(applyKernel(fmt.Sprintf("AveragePool%v", w.kernel), runtimeShape(outShape), forward, backward, x))
	return []*value{{shape: outShape, node: y}}, err
}

// paddedCount is how many of the window's cells along axis d, at output
// position o, lie inside the padded input.
func (w *window) paddedCount(d, o, size int) int {
	count := 0
	for k := 0; k < w.kernel[d]; k++ {
		i := o*w.strides[d] - w.begin[d] + k*w.dilations[d]
		if i >= -w.begin[d] && i < size+w.end[d] {
			count++
		}
	}
	return count
}

// globalPool reduces every spatial plane of x [N, C, ...] to one value.
func (b *builder) globalPool(ins []*value, name string, reduce func(plane []float32) float32,
	backward func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error)) ([]*value, error) {
	shape := ins[0].shape
	if len(shape) < 3 {
		return nil, fmt.Errorf("input %v has no spatial dimensions", shape)
	}
	x, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	inner := numElements(shape[2:])
	outShape := []int{shape[0], shape[1]}
	for range shape[2:] {
		outShape = append(outShape, 1)
	}
	y, err := applyKernel(name, runtimeShape(outShape), func(out []float32, in [][]float32) {
		for p := range out {
			out[p] = reduce(in[0][p*inner : (p+1)*inner])
		}
	}, backward, x)
	return []*value{{shape: outShape, node: y}}, err
}

func buildGlobalAveragePool(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	inner := numElements(ins[0].shape[min(2, len(ins[0].shape)):])
	mean := func(plane []float32) float32 {
		var sum float32
		for _, v := range plane {
			sum += v
		}
		return sum / float32(inner)
	}
	backward := func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		dx, err := applyKernel("GlobalAveragePoolGrad", inputs[0].Shape(), func(out []float32, in [][]float32) {
			for i := range out {
				out[i] = in[0][i/inner] / float32(inner)
			}
		}, nil, grad)
		return G.Nodes{dx}, err
	}
	return b.globalPool(ins, "GlobalAveragePool", mean, backward)
}

func buildGlobalMaxPool(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	return b.globalPool(ins, "GlobalMaxPool", func(plane []float32) float32 {
		best := float32(math.Inf(-1))
		for _, v := range plane {
			best = max(best, v)
		}
		return best
	}, nil)
}
