package network

import (
	"fmt"
	"math"

	"github.com/elight-photonic/elight/finetune/network/internal/vector"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize/parallel"
	G "gorgonia.org/gorgonia"
)

type arith int

const (
	arithAdd arith = iota
	arithSub
	arithMul
	arithDiv
)

func (a arith) String() string { return [...]string{"Add", "Sub", "Mul", "Div"}[a] }

func (a arith) apply(x, y float64) float64 {
	switch a {
	case arithAdd:
		return x + y
	case arithSub:
		return x - y
	case arithMul:
		return x * y
	}
	return x / y
}

// buildArith builds a numpy-broadcasting binary operator. Integer operands
// known while building (shape arithmetic) are computed right away.
func buildArith(op arith) buildFunc {
	return func(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
		x, y := ins[0], ins[1]
		if x == nil || y == nil {
			return nil, fmt.Errorf("%s needs two inputs", op)
		}
		if b.model.Opset < 7 && n.AttrInt("broadcast", 0) == 1 {
			return nil, fmt.Errorf("legacy broadcast attribute (opset < 7) is not supported")
		}
		shape, err := broadcastShape(x.shape, y.shape)
		if err != nil {
			return nil, err
		}
		if x.konst != nil && y.konst != nil && x.konst.DataType != onnxio.Float && y.konst.DataType != onnxio.Float {
			return []*value{{shape: shape, konst: intArith(op, x, y, shape)}}, nil
		}
		xn, err := b.in(ins, 0)
		if err != nil {
			return nil, err
		}
		yn, err := b.in(ins, 1)
		if err != nil {
			return nil, err
		}
		out, err := arithNode(op, xn, yn, x.shape, y.shape, shape)
		return []*value{{shape: shape, node: out}}, err
	}
}

func intArith(op arith, x, y *value, shape []int) *onnxio.Tensor {
	xs, ys := make([]float32, numElements(shape)), make([]float32, numElements(shape))
	broadcastMap(x.shape, shape).apply(xs, int64sToFloat32s(x.konst.Int), 0)
	broadcastMap(y.shape, shape).apply(ys, int64sToFloat32s(y.konst.Int), 0)
	out := make([]int64, len(xs))
	for i := range out {
		if op == arithDiv && ys[i] != 0 {
			out[i] = int64(xs[i]) / int64(ys[i])
			continue
		}
		out[i] = int64(op.apply(float64(xs[i]), float64(ys[i])))
	}
	return &onnxio.Tensor{DataType: onnxio.Int64, Dims: intsToDims(shape), Int: out}
}

func int64sToFloat32s(v []int64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// arithNode computes x op y with numpy broadcasting.
func arithNode(op arith, x, y *G.Node, xShape, yShape, shape []int) (*G.Node, error) {
	if op == arithAdd && sameShape(runtimeShape(xShape), runtimeShape(yShape)) {
		return sumNode(x, y, shape)
	}
	xMap, yMap := broadcastMap(xShape, shape), broadcastMap(yShape, shape)
	size := numElements(shape)
	forward := func(out []float32, in [][]float32) {
		xs, ys := make([]float32, size), make([]float32, size)
		xMap.apply(xs, in[0], 0)
		yMap.apply(ys, in[1], 0)
		for i := range out {
			switch op {
			case arithAdd:
				out[i] = xs[i] + ys[i]
			case arithSub:
				out[i] = xs[i] - ys[i]
			case arithMul:
				out[i] = xs[i] * ys[i]
			default:
				out[i] = xs[i] / ys[i]
			}
		}
	}
	var backward func(G.Nodes, *G.Node, *G.Node) (G.Nodes, error)
	if op == arithAdd || op == arithSub {
		backward = func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
			sign := float32(1)
			if op == arithSub {
				sign = -1
			}
			dx, err := reduceGrad(grad, xMap, inputs[0], 1)
			if err != nil {
				return nil, err
			}
			dy, err := reduceGrad(grad, yMap, inputs[1], sign)
			return G.Nodes{dx, dy}, err
		}
	} else {
		// Mul and Div, as in a squeeze-excitation gate: each operand's
		// gradient is the output gradient times the partial derivative,
		// summed back over the axes it was broadcast along.
		backward = func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
			dx, err := productGrad(op, 0, inputs, grad, xMap, yMap, size)
			if err != nil {
				return nil, err
			}
			dy, err := productGrad(op, 1, inputs, grad, xMap, yMap, size)
			return G.Nodes{dx, dy}, err
		}
	}
	return applyKernel(fmt.Sprintf("%s%v", op, shape), runtimeShape(shape), forward, backward, x, y)
}

// sumNode is x + y of one shape, as in a ResNet's residual connections:
// one pass split over the CPUs (gorgonia's Add is single-threaded), whose
// gradient is the output's, passed on to both.
func sumNode(x, y *G.Node, shape []int) (*G.Node, error) {
	forward := func(out []float32, in [][]float32) {
		xs, ys := in[0][:len(out)], in[1][:len(out)]
		parallel.Split(len(out), 1, minParallelWork, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = xs[i] + ys[i]
			}
		})
	}
	backward := func(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) { return G.Nodes{grad, grad}, nil }
	return filling(applyKernel(fmt.Sprintf("Add%v", shape), runtimeShape(shape), forward, backward, x, y))
}

// productGrad is the gradient of x*y or x/y with respect to operand wrt
// (0 for x, 1 for y): d(x*y) = dz*y, dz*x; d(x/y) = dz/y, -dz*x/y^2.
func productGrad(op arith, wrt int, inputs G.Nodes, grad *G.Node, xMap, yMap indexMap, size int) (*G.Node, error) {
	m := xMap
	if wrt == 1 {
		m = yMap
	}
	return applyKernel(fmt.Sprintf("%sGrad%d", op, wrt), inputs[wrt].Shape(), func(out []float32, in [][]float32) {
		xs, ys, dz := make([]float32, size), make([]float32, size), in[2]
		xMap.apply(xs, in[0], 0)
		yMap.apply(ys, in[1], 0)
		partial := make([]float32, size)
		for i := range partial {
			switch {
			case op == arithMul && wrt == 0:
				partial[i] = dz[i] * ys[i]
			case op == arithMul:
				partial[i] = dz[i] * xs[i]
			case wrt == 0:
				partial[i] = dz[i] / ys[i]
			default:
				partial[i] = -dz[i] * xs[i] / (ys[i] * ys[i])
			}
		}
		m.accumulate(out, partial)
	}, nil, inputs[0], inputs[1], grad)
}

// reduceGrad sums a broadcast output's gradient back onto the input's shape.
func reduceGrad(grad *G.Node, m indexMap, input *G.Node, sign float32) (*G.Node, error) {
	return applyKernel("ReduceBroadcastGrad", input.Shape(), func(out []float32, in [][]float32) {
		m.accumulate(out, in[0])
		if sign != 1 {
			for i := range out {
				out[i] *= sign
			}
		}
	}, nil, grad)
}

func buildRelu(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	if b.fused[n] {
		return ins[:1], nil // the Conv before has applied it
	}
	x, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	out, err := reluNode(x)
	return []*value{{shape: ins[0].shape, node: out}}, err
}

// reluNode is max(x, 0); its gradient passes where the output is positive,
// as PyTorch's does.
func reluNode(x *G.Node) (*G.Node, error) {
	backward := func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
		dx, err := reluGradNode(output, grad)
		return G.Nodes{dx}, err
	}
	return filling(applyKernel("Relu", x.Shape(), func(out []float32, in [][]float32) {
		x := in[0]
		parallel.Split(len(out), 1, minParallelWork, func(_, lo, hi int) {
			vector.ReLU(out[lo:hi], x[lo:hi])
		})
	}, backward, x))
}

// reluGradNode passes grad where the ReLU output y is positive.
func reluGradNode(y, grad *G.Node) (*G.Node, error) {
	return filling(applyKernel("ReluGrad", y.Shape(), func(out []float32, in [][]float32) {
		y, dy := in[0], in[1]
		parallel.Split(len(out), 1, minParallelWork, func(_, lo, hi int) {
			vector.ReLUGrad(out[lo:hi], y[lo:hi], dy[lo:hi])
		})
	}, nil, y, grad))
}

// pointwise builds a differentiable element-wise kernel from f and its
// derivative df, which sees the input x and the output y.
func (b *builder) pointwise(ins []*value, name string, f func(x float32) float32, df func(x, y float32) float32) ([]*value, error) {
	x, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	forward := func(out []float32, in [][]float32) {
		parallel.Split(len(out), 4, minParallelWork, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = f(in[0][i])
			}
		})
	}
	backward := func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
		dx, err := applyKernel(name+"Grad", inputs[0].Shape(), func(out []float32, in [][]float32) {
			parallel.Split(len(out), 4, minParallelWork, func(_, lo, hi int) {
				for i := lo; i < hi; i++ {
					out[i] = in[2][i] * df(in[0][i], in[1][i])
				}
			})
		}, nil, inputs[0], output, grad)
		return G.Nodes{dx}, err
	}
	out, err := filling(applyKernel(name, x.Shape(), forward, backward, x))
	return []*value{{shape: ins[0].shape, node: out}}, err
}

func buildLeakyRelu(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	alpha := n.AttrFloat("alpha", 0.01)
	return b.pointwise(ins, fmt.Sprintf("LeakyRelu(%g)", alpha),
		func(x float32) float32 {
			if x < 0 {
				return alpha * x
			}
			return x
		},
		func(x, _ float32) float32 {
			if x < 0 {
				return alpha
			}
			return 1
		})
}

func buildSigmoid(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	return b.pointwise(ins, "Sigmoid",
		func(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) },
		func(_, y float32) float32 { return y * (1 - y) })
}

// buildClip reads its bounds from attributes before opset 11 and from
// optional inputs after; a missing bound does not clip.
func buildClip(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if b.model.Opset < 11 {
		lo, hi = n.AttrFloat("min", lo), n.AttrFloat("max", hi)
		return b.clip(ins, lo, hi)
	}
	bounds := []*float32{&lo, &hi}
	for i, bound := range bounds {
		v := (*value)(nil)
		if i+1 < len(ins) {
			v = ins[i+1]
		}
		if v == nil {
			continue
		}
		if v.konst == nil {
			return b.clipComputed(ins)
		}
		f, err := floatScalar(v)
		if err != nil {
			return nil, fmt.Errorf("bound %d: %w", i+1, err)
		}
		*bound = f
	}
	return b.clip(ins, lo, hi)
}

func (b *builder) clip(ins []*value, lo, hi float32) ([]*value, error) {
	return b.pointwise(ins[:1], fmt.Sprintf("Clip(%g,%g)", lo, hi),
		func(x float32) float32 { return min(max(x, lo), hi) },
		func(x, _ float32) float32 {
			if x < lo || x > hi {
				return 0
			}
			return 1
		})
}

// clipComputed handles bounds that are graph inputs rather than constants
// (ONNX's own tests feed them so); it is not differentiable.
func (b *builder) clipComputed(ins []*value) ([]*value, error) {
	nodes := G.Nodes{}
	for i := range ins {
		if ins[i] == nil {
			continue
		}
		if i > 0 && numElements(ins[i].shape) != 1 {
			return nil, fmt.Errorf("bound %d must be a scalar, got shape %v", i, ins[i].shape)
		}
		node, err := b.in(ins, i)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, node)
	}
	hasLo, hasHi := len(ins) > 1 && ins[1] != nil, len(ins) > 2 && ins[2] != nil
	out, err := applyKernel("Clip", nodes[0].Shape(), func(out []float32, in [][]float32) {
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		next := 1
		if hasLo {
			lo = in[next][0]
			next++
		}
		if hasHi {
			hi = in[next][0]
		}
		for i, v := range in[0] {
			out[i] = min(max(v, lo), hi)
		}
	}, nil, nodes...)
	return []*value{{shape: ins[0].shape, node: out}}, err
}

// buildSoftmax follows the opset: before 13 the input is flattened to 2-D at
// axis (default 1) and normalized over the second dimension; from 13 on it is
// normalized along axis (default -1).
func buildSoftmax(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	x, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	shape := ins[0].shape
	if len(shape) == 0 {
		return nil, fmt.Errorf("input is a scalar")
	}
	var outer, size, inner int
	if b.model.Opset < 13 {
		axis, err := normAxis(n.AttrInt("axis", 1), len(shape))
		if err != nil {
			return nil, err
		}
		outer, size, inner = numElements(shape[:axis]), numElements(shape[axis:]), 1
	} else {
		axis, err := normAxis(n.AttrInt("axis", -1), len(shape))
		if err != nil {
			return nil, err
		}
		outer, size, inner = numElements(shape[:axis]), shape[axis], numElements(shape[axis+1:])
	}
	out, err := applyKernel("Softmax", x.Shape(), func(out []float32, in [][]float32) {
		softmax(out, in[0], outer, size, inner)
	}, nil, x)
	return []*value{{shape: shape, node: out}}, err
}

func softmax(out, in []float32, outer, size, inner int) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*size*inner + i
			peak := float32(math.Inf(-1))
			for k := 0; k < size; k++ {
				peak = max(peak, in[base+k*inner])
			}
			var sum float64
			for k := 0; k < size; k++ {
				e := math.Exp(float64(in[base+k*inner] - peak))
				out[base+k*inner] = float32(e)
				sum += e
			}
			for k := 0; k < size; k++ {
				out[base+k*inner] = float32(float64(out[base+k*inner]) / sum)
			}
		}
	}
}
