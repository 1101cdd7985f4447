package network

import (
	"fmt"
	"math"
	"slices"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize/parallel"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// weight returns the node of a layer's weight operand, passed through
// Options.Weight when n is a photonic layer (onnxio's definition) and the
// operand is its weight.
func (b *builder) weight(n *onnxio.Node, ins []*value, i int) (*G.Node, error) {
	w, err := b.in(ins, i)
	if err != nil {
		return nil, err
	}
	if l, ok := b.model.Graph.PhotonicLayer(n); ok && l.Weight == n.Inputs[i] && b.opts.Weight != nil {
		return b.opts.Weight(n, w)
	}
	return w, nil
}

func buildConv(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	if len(ins) < 2 || ins[0] == nil || ins[1] == nil {
		return nil, fmt.Errorf("Conv needs inputs X and W")
	}
	xShape, wShape := ins[0].shape, ins[1].shape
	if len(xShape) != 4 || len(wShape) != 4 {
		return nil, fmt.Errorf("only 2-D convolution is supported (input %v, weight %v)", xShape, wShape)
	}
	groups := int(n.AttrInt("group", 1))
	if groups < 1 || xShape[1]%groups != 0 || wShape[0]%groups != 0 {
		return nil, fmt.Errorf("group=%d does not divide the %d input and %d output channels", groups, xShape[1], wShape[0])
	}
	if wShape[1]*groups != xShape[1] {
		return nil, fmt.Errorf("weight %v with group=%d expects %d input channels, input %v has %d", wShape, groups, wShape[1]*groups, xShape, xShape[1])
	}
	kernel := wShape[2:]
	if ks := n.AttrInts("kernel_shape", nil); ks != nil && (len(ks) != 2 || int(ks[0]) != kernel[0] || int(ks[1]) != kernel[1]) {
		return nil, fmt.Errorf("kernel_shape %v does not match weight shape %v", ks, wShape)
	}
	win, err := newWindow(n, xShape[2:], kernel, true)
	if err != nil {
		return nil, err
	}
	x, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	w, err := b.weight(n, ins, 1)
	if err != nil {
		return nil, err
	}
	var bias *G.Node
	if len(ins) > 2 && ins[2] != nil {
		if numElements(ins[2].shape) != wShape[0] {
			return nil, fmt.Errorf("bias has shape %v, want [%d]", ins[2].shape, wShape[0])
		}
		if bias, err = b.in(ins, 2); err != nil {
			return nil, err
		}
		if bias, err = reshapeTo(bias, []int{wShape[0]}); err != nil {
			return nil, err
		}
	}
	// a Relu that alone reads the output is applied in the same pass
	relu := b.fuse(n, 0, "Relu")
	var y *G.Node
	if groups == 1 {
		cv := newConvolution(xShape, wShape, win, b.scratch)
		cv.relu = relu
		y, err = convNode(cv, x, w, bias)
	} else {
		y, err = groupedConv(x, w, bias, xShape, wShape, win, groups, relu, b.scratch)
	}
	if err != nil {
		return nil, err
	}
	outShape := []int{xShape[0], wShape[0], win.out[0], win.out[1]}
	return []*value{{shape: outShape, node: y}}, nil
}

// groupedConv computes a Conv of group > 1 (grouped, or depthwise when
// every group has one input channel) as one convolution per group over
// its slice of the input channels and of the filters, the outputs
// concatenated along the channel axis.
func groupedConv(x, w, bias *G.Node, xShape, wShape []int, win *window, groups int, relu bool, shared *scratch) (*G.Node, error) {
	inC, outC := xShape[1]/groups, wShape[0]/groups
	pixels := xShape[2] * xShape[3]
	filter := wShape[1] * wShape[2] * wShape[3]
	outs := make(G.Nodes, groups)
	for g := range groups {
		xg, err := sliceAxis(x, xShape[0], xShape[1], pixels, g*inC, (g+1)*inC, []int{xShape[0], inC, xShape[2], xShape[3]})
		if err != nil {
			return nil, err
		}
		wg, err := sliceAxis(w, 1, wShape[0], filter, g*outC, (g+1)*outC, []int{outC, wShape[1], wShape[2], wShape[3]})
		if err != nil {
			return nil, err
		}
		var bg *G.Node
		if bias != nil {
			if bg, err = sliceAxis(bias, 1, wShape[0], 1, g*outC, (g+1)*outC, []int{outC}); err != nil {
				return nil, err
			}
		}
		cv := newConvolution([]int{xShape[0], inC, xShape[2], xShape[3]}, []int{outC, wShape[1], wShape[2], wShape[3]}, win, shared)
		cv.relu = relu
		if outs[g], err = convNode(cv, xg, wg, bg); err != nil {
			return nil, err
		}
	}
	return G.Concat(1, outs...)
}

// sliceAxis returns x, viewed as [outer, n, inner], restricted to [lo, hi)
// on its middle axis, with the given shape. Its gradient scatters back
// into the slice and is zero elsewhere.
func sliceAxis(x *G.Node, outer, n, inner, lo, hi int, shape []int) (*G.Node, error) {
	width := hi - lo
	name := fmt.Sprintf("Slice(%d:%d of %d)", lo, hi, n)
	backward := func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
		dx, err := applyKernel(name+"Grad", inputs[0].Shape(), func(out []float32, in [][]float32) {
			for o := range outer {
				copy(out[(o*n+lo)*inner:(o*n+hi)*inner], in[0][o*width*inner:(o+1)*width*inner])
			}
		}, nil, grad)
		return G.Nodes{dx}, err
	}
	return applyKernel(name, runtimeShape(shape), func(out []float32, in [][]float32) {
		for o := range outer {
			copy(out[o*width*inner:(o+1)*width*inner], in[0][(o*n+lo)*inner:(o*n+hi)*inner])
		}
	}, backward, x)
}

// addChannelBias adds b[c] to every element of channel c of x [N, C, ...].
func addChannelBias(x, bias *G.Node) (*G.Node, error) {
	shape := x.Shape()
	channels, inner := shape[1], numElements(shape[2:])
	forward := func(out []float32, in [][]float32) {
		x, bias := in[0], in[1]
		for i := 0; i < len(x); i += inner {
			c := bias[(i/inner)%channels]
			dst, src := out[i:i+inner], x[i:i+inner]
			for j, v := range src {
				dst[j] = v + c
			}
		}
	}
	backward := func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		db, err := channelSumNode(grad, inputs[1].Shape())
		return G.Nodes{grad, db}, err
	}
	return applyKernel("ChannelBias", shape, forward, backward, x, bias)
}

// channelSumNode sums x [N, C, ...] over every axis but the channels into
// shape (C elements): the gradient of a per-channel bias.
func channelSumNode(x *G.Node, shape tensor.Shape) (*G.Node, error) {
	channels, inner := x.Shape()[1], numElements(x.Shape()[2:])
	return filling(applyKernel("ChannelSum", shape, func(out []float32, in [][]float32) {
		g := in[0]
		parallel.Split(channels, len(g)/channels, minParallelWork, func(_, lo, hi int) {
			c := lo
			for ; c+4 <= hi; c += 4 {
				out[c], out[c+1], out[c+2], out[c+3] = sum4Channels(g, c, channels, inner)
			}
			for ; c < hi; c++ {
				var sum float32
				for i := c * inner; i < len(g); i += channels * inner {
					for _, v := range g[i : i+inner] {
						sum += v
					}
				}
				out[c] = sum
			}
		})
	}, nil, x))
}

// sum4Channels returns the sums of channels c to c+3 of g [N, channels,
// inner], each added in the order of its elements, as the one-channel loop
// adds them. A float32 sum is one chain of additions, each waiting for the
// one before; four chains side by side keep the adder busy.
func sum4Channels(g []float32, c, channels, inner int) (s0, s1, s2, s3 float32) {
	for i := c * inner; i < len(g); i += channels * inner {
		g0, g1, g2, g3 := g[i:i+inner], g[i+inner:i+2*inner], g[i+2*inner:i+3*inner], g[i+3*inner:i+4*inner]
		for j, v := range g0 {
			s0 += v
			s1 += g1[j]
			s2 += g2[j]
			s3 += g3[j]
		}
	}
	return s0, s1, s2, s3
}

func buildGemm(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	if len(ins) < 2 || ins[0] == nil || ins[1] == nil {
		return nil, fmt.Errorf("Gemm needs inputs A and B")
	}
	aShape, bShape := ins[0].shape, ins[1].shape
	if len(aShape) != 2 || len(bShape) != 2 {
		return nil, fmt.Errorf("Gemm inputs must be matrices, got %v and %v", aShape, bShape)
	}
	transA, transB := n.AttrInt("transA", 0) == 1, n.AttrInt("transB", 0) == 1
	alpha, beta := n.AttrFloat("alpha", 1), n.AttrFloat("beta", 1)
	m, k := aShape[0], aShape[1]
	if transA {
		m, k = k, m
	}
	kb, cols := bShape[0], bShape[1]
	if transB {
		kb, cols = cols, kb
	}
	if k != kb {
		return nil, fmt.Errorf("A %v (transA=%v) and B %v (transB=%v) do not multiply", aShape, transA, bShape, transB)
	}
	a, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	w, err := b.weight(n, ins, 1)
	if err != nil {
		return nil, err
	}
	if transA {
		if a, err = G.Transpose(a); err != nil {
			return nil, err
		}
	}
	if transB {
		if w, err = G.Transpose(w); err != nil {
			return nil, err
		}
	}
	y, err := G.Mul(a, w)
	if err != nil {
		return nil, err
	}
	shape := []int{m, cols}
	if alpha != 1 {
		if y, err = scaleNode(y, alpha); err != nil {
			return nil, err
		}
	}
	if len(ins) > 2 && ins[2] != nil && beta != 0 {
		c, err := b.in(ins, 2)
		if err != nil {
			return nil, err
		}
		if beta != 1 {
			if c, err = scaleNode(c, beta); err != nil {
				return nil, err
			}
		}
		if numElements(ins[2].shape) == cols && len(ins[2].shape) > 0 && ins[2].shape[len(ins[2].shape)-1] == cols {
			if c.Shape().TotalSize() != c.Shape()[0] {
				if c, err = G.Reshape(c, tensor.Shape{cols}); err != nil {
					return nil, err
				}
			}
			y, err = addChannelBias(y, c)
		} else {
			y, err = arithNode(arithAdd, y, c, shape, ins[2].shape, shape)
		}
		if err != nil {
			return nil, err
		}
	}
	return []*value{{shape: shape, node: y}}, nil
}

func scaleNode(x *G.Node, factor float32) (*G.Node, error) {
	backward := func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		dx, err := scaleNode(grad, factor)
		return G.Nodes{dx}, err
	}
	return applyKernel(fmt.Sprintf("Scale(%g)", factor), x.Shape(), func(out []float32, in [][]float32) {
		for i, v := range in[0] {
			out[i] = v * factor
		}
	}, backward, x)
}

// buildMatMul follows numpy.matmul. A weight operand B of rank 2 (the usual
// export of nn.Linear without Gemm) multiplies the flattened leading
// dimensions of A in one matrix product.
func buildMatMul(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	if len(ins) < 2 || ins[0] == nil || ins[1] == nil {
		return nil, fmt.Errorf("MatMul needs two inputs")
	}
	aShape, bShape := ins[0].shape, ins[1].shape
	if len(aShape) == 0 || len(bShape) == 0 {
		return nil, fmt.Errorf("MatMul inputs cannot be scalars")
	}
	a, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	w, err := b.weight(n, ins, 1)
	if err != nil {
		return nil, err
	}
	// numpy promotes 1-D operands to matrices and drops the added axis after.
	a2, b2 := aShape, bShape
	if len(aShape) == 1 {
		a2 = []int{1, aShape[0]}
	}
	if len(bShape) == 1 {
		b2 = []int{bShape[0], 1}
	}
	m, k := a2[len(a2)-2], a2[len(a2)-1]
	kb, cols := b2[len(b2)-2], b2[len(b2)-1]
	if k != kb {
		return nil, fmt.Errorf("shapes %v and %v do not multiply", aShape, bShape)
	}
	batchA, batchB := a2[:len(a2)-2], b2[:len(b2)-2]
	batch, err := broadcastShape(batchA, batchB)
	if err != nil {
		return nil, err
	}
	var y *G.Node
	switch {
	case numElements(batchB) == 1:
		// one matrix B for every row of A: a single product
		if a, err = reshapeTo(a, []int{numElements(batchA) * m, k}); err != nil {
			return nil, err
		}
		if w, err = reshapeTo(w, []int{k, cols}); err != nil {
			return nil, err
		}
		if y, err = G.Mul(a, w); err != nil {
			return nil, err
		}
		if numElements(batchA) != numElements(batch) {
			return nil, fmt.Errorf("batch dimensions %v and %v are not supported", batchA, batchB)
		}
	default:
		// numpy broadcasting of the batch dimensions: both operands are
		// expanded to the full batch (a no-op where they have it), then
		// multiplied matrix by matrix.
		nb := numElements(batch)
		if a, err = expandTo(a, slices.Concat(padLeft(batchA, len(batch)), []int{m, k}), slices.Concat(batch, []int{m, k})); err != nil {
			return nil, err
		}
		if w, err = expandTo(w, slices.Concat(padLeft(batchB, len(batch)), []int{k, cols}), slices.Concat(batch, []int{k, cols})); err != nil {
			return nil, err
		}
		if a, err = reshapeTo(a, []int{nb, m, k}); err != nil {
			return nil, err
		}
		if w, err = reshapeTo(w, []int{nb, k, cols}); err != nil {
			return nil, err
		}
		if y, err = G.BatchedMatMul(a, w); err != nil {
			return nil, err
		}
	}
	// drop the axes numpy added for 1-D operands
	final := append([]int{}, batch...)
	if len(aShape) > 1 {
		final = append(final, m)
	}
	if len(bShape) > 1 {
		final = append(final, cols)
	}
	if y, err = reshapeTo(y, final); err != nil {
		return nil, err
	}
	return []*value{{shape: final, node: y}}, nil
}

// padLeft prepends ones to shape up to rank dimensions, as numpy does
// before broadcasting.
func padLeft(shape []int, rank int) []int {
	out := make([]int, 0, rank)
	for range rank - len(shape) {
		out = append(out, 1)
	}
	return append(out, shape...)
}

// expandTo reads x, of shape from (the same elements as x's own shape,
// with ones where it broadcasts), as shape to. Its gradient sums over the
// broadcast axes.
func expandTo(x *G.Node, from, to []int) (*G.Node, error) {
	if slices.Equal(from, to) {
		return x, nil
	}
	m := broadcastMap(from, to)
	backward := func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
		dx, err := applyKernel(fmt.Sprintf("Expand%vGrad", to), inputs[0].Shape(), func(out []float32, in [][]float32) {
			m.accumulate(out, in[0])
		}, nil, grad)
		return G.Nodes{dx}, err
	}
	return applyKernel(fmt.Sprintf("Expand%v", to), runtimeShape(to), func(out []float32, in [][]float32) {
		m.apply(out, in[0], 0)
	}, backward, x)
}

func reshapeTo(x *G.Node, shape []int) (*G.Node, error) {
	rs := runtimeShape(shape)
	if sameShape(x.Shape(), rs) {
		return x, nil
	}
	return G.Reshape(x, rs)
}

// buildBatchNorm computes inference-mode batch normalization for the
// BatchNormalization nodes that could not be folded into a Conv or Gemm.
func buildBatchNorm(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	if n.AttrInt("training_mode", 0) != 0 {
		return nil, fmt.Errorf("training_mode=1: elight runs BatchNormalization in inference mode only (export the model in eval mode)")
	}
	if len(ins) < 5 {
		return nil, fmt.Errorf("BatchNormalization needs 5 inputs, got %d", len(ins))
	}
	xShape := ins[0].shape
	if len(xShape) < 2 {
		return nil, fmt.Errorf("input shape %v has no channel axis", xShape)
	}
	channels := xShape[1]
	nodes := make(G.Nodes, 5)
	for i := range nodes {
		if ins[i] == nil {
			return nil, fmt.Errorf("input %d is missing", i)
		}
		if i > 0 && numElements(ins[i].shape) != channels {
			return nil, fmt.Errorf("input %d has shape %v, want [%d]", i, ins[i].shape, channels)
		}
		var err error
		if nodes[i], err = b.in(ins, i); err != nil {
			return nil, err
		}
	}
	eps := float64(n.AttrFloat("epsilon", 1e-5))
	inner := numElements(xShape[2:])
	y, err := applyKernel("BatchNormalization", runtimeShape(xShape), func(out []float32, in [][]float32) {
		x, scale, bias, mean, variance := in[0], in[1], in[2], in[3], in[4]
		for i := 0; i < len(x); i += inner {
			c := (i / inner) % channels
			s := float64(scale[c]) / math.Sqrt(float64(variance[c])+eps)
			shift := float64(bias[c]) - float64(mean[c])*s
			for j := i; j < i+inner; j++ {
				out[j] = float32(float64(x[j])*s + shift)
			}
		}
	}, nil, nodes...)
	return []*value{{shape: xShape, node: y}}, err
}
