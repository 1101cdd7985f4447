package network

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/onnxio/onnxtest"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gradCase is one ONNX node whose float operands are all initializers, so
// that Build makes them trainable parameters. values fills each operand.
type gradCase struct {
	name   string
	op     string
	attrs  map[string]onnxio.Attribute
	shapes [][]int                // float operands, in input order
	consts map[int]*onnxio.Tensor // non-float (or fixed) operands by input position
	values func(rng *rand.Rand, i, n int) []float32
}

func attrInts(v ...int64) onnxio.Attribute { return onnxio.Attribute{Type: onnxio.AttrInts, Ints: v} }
func attrInt(v int64) onnxio.Attribute     { return onnxio.Attribute{Type: onnxio.AttrInt, Int: v} }
func attrFloat(v float32) onnxio.Attribute { return onnxio.Attribute{Type: onnxio.AttrFloat, Float: v} }
func attrString(v string) onnxio.Attribute {
	return onnxio.Attribute{Type: onnxio.AttrString, String: v}
}
func int64s(v ...int64) *onnxio.Tensor {
	return &onnxio.Tensor{DataType: onnxio.Int64, Dims: []int64{int64(len(v))}, Int: v}
}
func scalar(v float32) *onnxio.Tensor {
	return &onnxio.Tensor{DataType: onnxio.Float, Float: []float32{v}}
}
func uniform(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = 2*rng.Float32() - 1
	}
	return out
}

// awayFrom draws values in [-1, 1] at least gap away from every kink, so
// that central differences do not straddle one.
func awayFrom(kinks []float32, gap float32) func(*rand.Rand, int, int) []float32 {
	return func(rng *rand.Rand, _, n int) []float32 {
		out := make([]float32, n)
		for i := range out {
		draw:
			for {
				v := 2*rng.Float32() - 1
				for _, k := range kinks {
					if math.Abs(float64(v-k)) < float64(gap) {
						continue draw
					}
				}
				out[i] = v
				break
			}
		}
		return out
	}
}

// distinct draws a permutation of evenly spaced values: no two cells of a
// pooling window are within a finite-difference step of each other.
func distinct(rng *rand.Rand, _, n int) []float32 {
	out := make([]float32, n)
	for i, p := range rng.Perm(n) {
		out[i] = float32(p)*0.05 - float32(n)*0.025
	}
	return out
}

func gradCases() []gradCase {
	conv := func(name string, x, w []int, bias bool, attrs map[string]onnxio.Attribute) gradCase {
		c := gradCase{name: name, op: "Conv", attrs: attrs, shapes: [][]int{x, w}}
		if bias {
			c.shapes = append(c.shapes, []int{w[0]})
		}
		return c
	}
	return []gradCase{
		conv("Conv3x3", []int{2, 3, 5, 5}, []int{4, 3, 3, 3}, true, map[string]onnxio.Attribute{"pads": attrInts(1, 1, 1, 1)}),
		conv("ConvStridedAsymmetricPads", []int{2, 2, 7, 6}, []int{3, 2, 3, 2}, true,
			map[string]onnxio.Attribute{"pads": attrInts(0, 1, 2, 0), "strides": attrInts(2, 3)}),
		conv("ConvDilated", []int{1, 2, 7, 7}, []int{2, 2, 3, 3}, false,
			map[string]onnxio.Attribute{"pads": attrInts(2, 2, 2, 2), "dilations": attrInts(2, 2)}),
		// 5 images of 100 pixels: groups of 3 and 2 images, one per goroutine
		conv("ConvSeveralGroups", []int{5, 4, 10, 10}, []int{4, 4, 3, 3}, true, map[string]onnxio.Attribute{"pads": attrInts(1, 1, 1, 1)}),
		conv("ConvDilatedWide", []int{1, 2, 9, 9}, []int{2, 2, 3, 3}, false,
			map[string]onnxio.Attribute{"pads": attrInts(2, 2, 2, 2), "dilations": attrInts(2, 2)}),
		conv("ConvPadRightOnly", []int{2, 2, 5, 8}, []int{3, 2, 3, 3}, true, map[string]onnxio.Attribute{"pads": attrInts(0, 0, 2, 2)}),
		conv("ConvPointwise", []int{3, 4, 3, 3}, []int{2, 4, 1, 1}, true, nil),
		// group 2: filters 0-1 see channels 0-1, filters 2-3 channels 2-3
		conv("ConvGrouped", []int{2, 4, 5, 5}, []int{4, 2, 3, 3}, true, map[string]onnxio.Attribute{"pads": attrInts(1, 1, 1, 1), "group": attrInt(2)}),
		// depthwise with a channel multiplier of 2
		conv("ConvDepthwise", []int{2, 3, 4, 4}, []int{6, 1, 3, 3}, false, map[string]onnxio.Attribute{"group": attrInt(3), "strides": attrInts(2, 2)}),
		conv("ConvPointwiseWide", []int{2, 2, 16, 16}, []int{3, 2, 1, 1}, false, nil),
		conv("ConvImagesGrouped", []int{5, 3, 2, 2}, []int{4, 3, 2, 2}, true,
			map[string]onnxio.Attribute{"auto_pad": attrString("SAME_UPPER")}),
		{name: "GemmTransBiasScaled", op: "Gemm", shapes: [][]int{{3, 4}, {5, 4}, {5}},
			attrs: map[string]onnxio.Attribute{"transB": attrInt(1), "alpha": attrFloat(0.5), "beta": attrFloat(2)}},
		{name: "GemmTransA", op: "Gemm", shapes: [][]int{{4, 3}, {4, 5}, {3, 5}}, attrs: map[string]onnxio.Attribute{"transA": attrInt(1)}},
		{name: "PadConstant", op: "Pad", shapes: [][]int{{2, 3, 4}}, attrs: map[string]onnxio.Attribute{"mode": attrString("constant")},
			consts: map[int]*onnxio.Tensor{1: int64s(0, 1, 2, 1, -1, 1), 2: scalar(0.5)}},
		{name: "PadReflect", op: "Pad", shapes: [][]int{{1, 2, 4, 5}}, attrs: map[string]onnxio.Attribute{"mode": attrString("reflect")},
			consts: map[int]*onnxio.Tensor{1: int64s(0, 0, 2, 3, 0, 0, 3, 1)}},
		{name: "PadEdge", op: "Pad", shapes: [][]int{{1, 2, 3, 3}}, attrs: map[string]onnxio.Attribute{"mode": attrString("edge")},
			consts: map[int]*onnxio.Tensor{1: int64s(0, 0, 2, 0, 0, 0, 1, 3)}},
		{name: "MaxPool2x2", op: "MaxPool", shapes: [][]int{{2, 3, 4, 6}}, values: distinct,
			attrs: map[string]onnxio.Attribute{"kernel_shape": attrInts(2, 2), "strides": attrInts(2, 2)}},
		{name: "MaxPoolPaddedCeil", op: "MaxPool", shapes: [][]int{{1, 2, 7, 6}}, values: distinct,
			attrs: map[string]onnxio.Attribute{"kernel_shape": attrInts(3, 3), "strides": attrInts(2, 2), "pads": attrInts(1, 1, 1, 1), "ceil_mode": attrInt(1)}},
		{name: "MaxPoolDilated1D", op: "MaxPool", shapes: [][]int{{2, 2, 9}}, values: distinct,
			attrs: map[string]onnxio.Attribute{"kernel_shape": attrInts(2), "dilations": attrInts(3)}},
		{name: "AveragePoolPadded", op: "AveragePool", shapes: [][]int{{2, 2, 5, 5}},
			attrs: map[string]onnxio.Attribute{"kernel_shape": attrInts(3, 3), "strides": attrInts(2, 2), "pads": attrInts(1, 0, 1, 2)}},
		{name: "AveragePoolIncludePadCeil", op: "AveragePool", shapes: [][]int{{1, 2, 6, 6}},
			attrs: map[string]onnxio.Attribute{"kernel_shape": attrInts(3, 3), "strides": attrInts(2, 2), "pads": attrInts(1, 1, 1, 1),
				"count_include_pad": attrInt(1), "ceil_mode": attrInt(1)}},
		{name: "GlobalAveragePool", op: "GlobalAveragePool", shapes: [][]int{{2, 3, 4, 5}}},
		{name: "Relu", op: "Relu", shapes: [][]int{{3, 4, 5}}, values: awayFrom([]float32{0}, 0.03)},
		{name: "LeakyRelu", op: "LeakyRelu", shapes: [][]int{{3, 4, 5}}, values: awayFrom([]float32{0}, 0.03),
			attrs: map[string]onnxio.Attribute{"alpha": attrFloat(0.1)}},
		{name: "Sigmoid", op: "Sigmoid", shapes: [][]int{{3, 4, 5}}},
		{name: "Clip", op: "Clip", shapes: [][]int{{3, 4, 5}}, values: awayFrom([]float32{-0.5, 0.25}, 0.03),
			consts: map[int]*onnxio.Tensor{1: scalar(-0.5), 2: scalar(0.25)}},
		{name: "AddBroadcast", op: "Add", shapes: [][]int{{2, 3, 4}, {3, 1}}},
		{name: "SubBroadcast", op: "Sub", shapes: [][]int{{4}, {2, 3, 4}}},
		{name: "AddSameShape", op: "Add", shapes: [][]int{{2, 3}, {2, 3}}},
		// numpy batch broadcasting: [2, 1] against [3] batches, and a
		// matrix against a batch of matrices
		{name: "MatMulBroadcastBatch", op: "MatMul", shapes: [][]int{{2, 1, 3, 4}, {3, 4, 2}}},
		{name: "MatMulBroadcastMatrix", op: "MatMul", shapes: [][]int{{3, 4}, {2, 4, 5}}},
		// a squeeze-excitation gate: channel weights [N, C, 1, 1] scale the map
		{name: "MulSEGate", op: "Mul", shapes: [][]int{{2, 3, 4, 4}, {2, 3, 1, 1}}},
		{name: "DivBroadcast", op: "Div", shapes: [][]int{{2, 3, 4}, {3, 1}}, values: awayFrom([]float32{-0.2, 0, 0.2}, 0.15)},
		{name: "Transpose", op: "Transpose", shapes: [][]int{{2, 3, 4}}, attrs: map[string]onnxio.Attribute{"perm": attrInts(2, 0, 1)}},
		{name: "ReduceMeanHW", op: "ReduceMean", shapes: [][]int{{2, 3, 4, 5}}, attrs: map[string]onnxio.Attribute{"axes": attrInts(2, 3)}},
		{name: "ReduceMeanDropAxis", op: "ReduceMean", shapes: [][]int{{3, 4, 5}},
			attrs: map[string]onnxio.Attribute{"axes": attrInts(-2), "keepdims": attrInt(0)}},
	}
}

// TestGradients checks every backward pass elight implements against
// central differences of the forward pass: for a fixed random R, the loss
// Σ out·R (accumulated in float64) is perturbed one parameter element at a
// time.
func TestGradients(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // the convolution's two ways of splitting work
	for _, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) { checkGradients(t, c) })
	}
}

func checkGradients(t *testing.T, c gradCase) {
	rng := rand.New(rand.NewSource(1))
	m := &onnxio.Model{Path: c.name, Opset: 13, Graph: &onnxio.Graph{Initializers: map[string]*onnxio.Tensor{}}}
	node := &onnxio.Node{Name: c.name, OpType: c.op, Attrs: c.attrs, Outputs: []string{"y"}}
	for i := 0; i < len(c.shapes)+len(c.consts); i++ {
		name := fmt.Sprintf("in%d", i)
		node.Inputs = append(node.Inputs, name)
		if k, ok := c.consts[i]; ok {
			m.Graph.Initializers[name] = k
			continue
		}
		shape := c.shapes[i-len(constsBefore(c, i))]
		values := c.values
		if values == nil {
			values = func(rng *rand.Rand, _, n int) []float32 { return uniform(rng, n) }
		}
		m.Graph.Initializers[name] = &onnxio.Tensor{Name: name, DataType: onnxio.Float, Dims: intsToDims(shape), Float: values(rng, i, numElements(shape))}
	}
	m.Graph.Nodes = []*onnxio.Node{node}
	m.Graph.Outputs = []onnxio.ValueInfo{{Name: "y"}}
	net, err := Build(m, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(net.Params) != len(c.shapes) {
		t.Fatalf("%d parameters, want %d", len(net.Params), len(c.shapes))
	}
	out := net.Outputs[0]
	weights := uniform(rng, out.Shape().TotalSize())
	grads := weightedSum(t, net, weights)
	vm := G.NewTapeMachine(net.Graph)
	defer vm.Close()
	run := func() float64 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		y, err := Float32s(out.Value())
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for i, v := range y {
			sum += float64(v) * float64(weights[i])
		}
		return sum
	}
	run()
	analytic := make([][]float32, len(grads))
	for i, g := range grads {
		d, err := Float32s(g.Value())
		if err != nil {
			t.Fatal(err)
		}
		analytic[i] = append([]float32(nil), d...)
	}
	const h = 1e-2
	for i, p := range net.Params {
		data := p.Value().Data().([]float32)
		worst, worstAt := 0.0, -1
		for j := range data {
			numeric := numericAt(run, data, j, h)
			err := math.Abs(numeric-float64(analytic[i][j])) / (1 + math.Abs(numeric))
			if err > worst {
				worst, worstAt = err, j
			}
		}
		// float32 forward passes: rounding in out·R is ~1e-6 of the loss, /h
		if worst > 2e-3 {
			t.Errorf("%s: gradient element %d is %g, central difference %g (relative error %.2g)",
				net.ParamNames[i], worstAt, analytic[i][worstAt], numericAt(run, data, worstAt, h), worst)
		} else {
			t.Logf("%s %v: largest relative error %.2g", net.ParamNames[i], p.Shape(), worst)
		}
	}
}

func constsBefore(c gradCase, i int) []int {
	var before []int
	for k := range c.consts {
		if k < i {
			before = append(before, k)
		}
	}
	return before
}

func numericAt(run func() float64, data []float32, j int, h float32) float64 {
	orig := data[j]
	data[j] = orig + h
	plus := run()
	data[j] = orig - h
	minus := run()
	data[j] = orig
	return (plus - minus) / (2 * float64(h))
}

// TestConvReluFusion checks that a Relu that alone reads a Conv's output,
// which Build computes in the convolution's kernel, gives the output and
// gradients the two separate kernels give.
func TestConvReluFusion(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	model := func(exposeConv bool) *onnxio.Model {
		m := &onnxio.Model{Path: "conv-relu", Opset: 13, Graph: &onnxio.Graph{Initializers: map[string]*onnxio.Tensor{}}}
		for name, shape := range map[string][]int{"x": {2, 3, 6, 6}, "w": {4, 3, 3, 3}, "b": {4}} {
			m.Graph.Initializers[name] = &onnxio.Tensor{Name: name, DataType: onnxio.Float, Dims: intsToDims(shape)}
		}
		m.Graph.Nodes = []*onnxio.Node{
			{Name: "conv", OpType: "Conv", Inputs: []string{"x", "w", "b"}, Outputs: []string{"c"},
				Attrs: map[string]onnxio.Attribute{"pads": attrInts(1, 1, 1, 1)}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"y"}},
		}
		m.Graph.Outputs = []onnxio.ValueInfo{{Name: "y"}}
		if exposeConv {
			m.Graph.Outputs = append(m.Graph.Outputs, onnxio.ValueInfo{Name: "c"})
		}
		return m
	}
	fused, separate := model(false), model(true)
	for name, init := range fused.Graph.Initializers {
		init.Float = uniform(rng, init.NumElements())
		separate.Graph.Initializers[name].Float = init.Float
	}
	weights := uniform(rng, 2*4*6*6)
	run := func(m *onnxio.Model) (kernels []string, values [][]float32) {
		net, err := Build(m, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		out := net.Outputs[0]
		grads := weightedSum(t, net, weights)
		vm := G.NewTapeMachine(net.Graph)
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		for _, n := range append(G.Nodes{out}, grads...) {
			d, err := Float32s(n.Value())
			if err != nil {
				t.Fatal(err)
			}
			values = append(values, append([]float32(nil), d...))
		}
		for _, n := range net.Graph.AllNodes() {
			if k, ok := n.Op().(*kernel); ok {
				kernels = append(kernels, k.name)
			}
		}
		return kernels, values
	}
	fusedKernels, want := run(fused)
	separateKernels, got := run(separate)
	if !strings.Contains(strings.Join(fusedKernels, " "), "+Relu") || strings.Contains(strings.Join(separateKernels, " "), "+Relu") {
		t.Fatalf("expected the ReLU fused in the first graph only: %v / %v", fusedKernels, separateKernels)
	}
	for i := range want {
		if d := onnxtest.MaxAbsDiff(got[i], want[i]); d > 1e-6 {
			t.Errorf("value %d (output, then gradients of x, w, b) differs by %g between fused and separate kernels", i, d)
		}
	}
}

// weightedSum adds loss = sum(weights * output) to the net's graph and returns its
// gradients with respect to every parameter.
func weightedSum(t *testing.T, net *Net, weights []float32) G.Nodes {
	t.Helper()
	out := net.Outputs[0]
	r := G.NewTensor(net.Graph, tensor.Float32, out.Dims(), G.WithShape(out.Shape()...), G.WithName("R"),
		G.WithValue(tensor.New(tensor.WithShape(out.Shape()...), tensor.WithBacking(weights))))
	prod, err := G.HadamardProd(out, r)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(loss, net.Params...)
	if err != nil {
		t.Fatal(err)
	}
	return grads
}
