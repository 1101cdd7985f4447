package network

import (
	"fmt"
	"math"

	"github.com/elight-photonic/elight/onnxio"
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

// visit calls f for each input element of the window at output (oh, ow).
func (w *window) visit(h, wd, oh, ow int, f func(i int)) {
	for kh := 0; kh < w.kernel[0]; kh++ {
		ih := oh*w.strides[0] - w.begin[0] + kh*w.dilations[0]
		if ih < 0 || ih >= h {
			continue
		}
		for kw := 0; kw < w.kernel[1]; kw++ {
			iw := ow*w.strides[1] - w.begin[1] + kw*w.dilations[1]
			if iw >= 0 && iw < wd {
				f(ih*wd + iw)
			}
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
	outPlane := w.out[0] * w.out[1]
	// argmax finds, for every output element, the input element it takes.
	argmax := func(x []float32, at func(o, i int)) {
		for p := 0; p < planes; p++ {
			plane := x[p*h*wd : (p+1)*h*wd]
			for oh := 0; oh < w.out[0]; oh++ {
				for ow := 0; ow < w.out[1]; ow++ {
					best, bestAt := float32(math.Inf(-1)), -1
					w.visit(h, wd, oh, ow, func(i int) {
						if plane[i] > best || bestAt < 0 {
							best, bestAt = plane[i], i
						}
					})
					if bestAt >= 0 {
						bestAt += p * h * wd
					}
					at(p*outPlane+oh*w.out[1]+ow, bestAt)
				}
			}
		}
	}
	forward := func(out []float32, in [][]float32) {
		argmax(in[0], func(o, i int) {
			if i < 0 {
				out[o] = float32(math.Inf(-1))
			} else {
				out[o] = in[0][i]
			}
		})
	}
	backward := func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		dx, err := applyKernel("MaxPoolGrad", inputs[0].Shape(), func(out []float32, in [][]float32) {
			argmax(in[0], func(o, i int) {
				if i >= 0 {
					out[i] += in[1][o]
				}
			})
		}, nil, inputs[0], grad)
		return G.Nodes{dx}, err
	}
	outShape := poolOutShape(shape, w)
	y, err := applyKernel(fmt.Sprintf("MaxPool%v", w.kernel), runtimeShape(outShape), forward, backward, x)
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
	includePad := n.AttrInt("count_include_pad", 0) == 1
	outPlane := w.out[0] * w.out[1]
	// divisor counts the window's cells inside the input, or inside the
	// padded input when padding counts; cells past the padding, which
	// ceil_mode can add, never count.
	divisor := make([]float32, outPlane)
	for oh := 0; oh < w.out[0]; oh++ {
		for ow := 0; ow < w.out[1]; ow++ {
			count := 0
			if includePad {
				count = w.paddedCount(0, oh, h) * w.paddedCount(1, ow, wd)
			} else {
				w.visit(h, wd, oh, ow, func(int) { count++ })
			}
			divisor[oh*w.out[1]+ow] = float32(max(count, 1))
		}
	}
	forward := func(out []float32, in [][]float32) {
		for p := 0; p < planes; p++ {
			plane := in[0][p*h*wd : (p+1)*h*wd]
			for o := 0; o < outPlane; o++ {
				var sum float32
				w.visit(h, wd, o/w.out[1], o%w.out[1], func(i int) { sum += plane[i] })
				out[p*outPlane+o] = sum / divisor[o]
			}
		}
	}
	backward := func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		dx, err := applyKernel("AveragePoolGrad", inputs[0].Shape(), func(out []float32, in [][]float32) {
			for p := 0; p < planes; p++ {
				plane := out[p*h*wd : (p+1)*h*wd]
				for o := 0; o < outPlane; o++ {
					g := in[0][p*outPlane+o] / divisor[o]
					w.visit(h, wd, o/w.out[1], o%w.out[1], func(i int) { plane[i] += g })
				}
			}
		}, nil, grad)
		return G.Nodes{dx}, err
	}
	outShape := poolOutShape(shape, w)
	y, err := applyKernel(fmt.Sprintf("AveragePool%v", w.kernel), runtimeShape(outShape), forward, backward, x)
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
