// Package network builds an imported ONNX graph as a gorgonia expression
// graph: the forward pass elight runs, and the network fine-tuning trains.
//
// A Net is built for concrete input shapes. Everything that depends only on
// shapes and initializers (the Shape/Gather/Unsqueeze/Concat chains that
// older PyTorch exporters emit before Reshape, Constant nodes, pads given as
// inputs) is evaluated while building, so the gorgonia graph holds only the
// float32 computation on the input.
package network

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/elight-photonic/elight/onnxio"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MinOpset and MaxOpset bound the default-domain operator set versions Build
// accepts. PyTorch exports use 9 to 17; older files run where their
// operators mean what they mean in those opsets, and Build rejects the
// legacy attributes it does not implement.
const (
	MinOpset = 1
	MaxOpset = 17
)

// Options change how a Net is built.
type Options struct {
	// Weight, when non-nil, is applied to the weight of every photonic layer
	// (the W of a Conv, the weight operand of a Gemm or MatMul) before the
	// layer uses it. Fine-tuning inserts the PCM quantizer here.
	Weight func(layer *onnxio.Node, w *G.Node) (*G.Node, error)

	// FixedWeights promises that the values reaching each layer's weight
	// do not change from one pass to the next: the Net only runs, nothing
	// trains it or writes into its Params. The convolutions then pack their
	// filters for the BLAS kernel once, at the first pass, and keep them
	// (one packed copy of the filters, as onnxruntime keeps when a session
	// starts) instead of packing them again every pass. A Net built with it
	// whose weights do change computes wrong results: its convolutions keep
	// the filters of the first pass.
	FixedWeights bool
}

// Net is an ONNX graph built as a gorgonia expression graph for one set of
// input shapes. Its kernels reuse their output buffers from pass to pass, so
// a node's Value holds until the next run of any machine over the graph (Run
// returns copies), and a Net runs one pass at a time. Run shares the
// buffers of values only its kernels read (ShareBuffers): those of the
// graph's inner nodes do not hold past the pass.
type Net struct {
	Graph *G.ExprGraph

	// Inputs are the placeholders of the float graph inputs, in graph order.
	Inputs     []*G.Node
	InputNames []string
	// Outputs are the graph outputs; an output that is known while building
	// (a Shape, say) has a constant node.
	Outputs     []*G.Node
	OutputNames []string
	// Params are the float initializers the computation uses, by name, in
	// the order first used: the weights training may update.
	Params     []*G.Node
	ParamNames []string

	vm           G.VM // made by the first Run, reused by the next
	outputShapes [][]int
	outputConsts []*onnxio.Tensor // non-nil for outputs known at build time
}

// value is what the builder knows about one ONNX tensor name.
type value struct {
	shape []int          // ONNX shape; rank 0 is a scalar
	node  *G.Node        // float32 runtime value; rank-0 values are held as shape [1]
	konst *onnxio.Tensor // the value itself, when it is known at build time
}

type builder struct {
	model  *onnxio.Model
	opts   Options
	g      *G.ExprGraph
	values map[string]*value
	node   *onnxio.Node // the node being built, for error messages
	net    *Net
	params map[string]*G.Node

	// consumers lists the nodes that read each tensor; fused holds the
	// nodes another node's kernel computes (a Relu after a Conv).
	consumers map[string][]*onnxio.Node
	fused     map[*onnxio.Node]bool

	scratch *scratch // the convolutions' buffers
}

// Build builds the model's graph for the given inputs. Every graph input must
// be present: float inputs need only a shape (their data is bound by Run);
// integer inputs must carry data, because elight evaluates them while
// building.
func Build(m *onnxio.Model, inputs map[string]*onnxio.Tensor, opts Options) (net *Net, err error) {
	defer recoverPanic("building the network", &err)
	if m.Opset < MinOpset || m.Opset > MaxOpset {
		return nil, fmt.Errorf("%s: opset %d is not supported (elight implements opsets %d to %d); re-export the model with an opset in that range",
			m.Path, m.Opset, MinOpset, MaxOpset)
	}
	b := &builder{
		model:     m,
		opts:      opts,
		g:         G.NewGraph(),
		values:    map[string]*value{},
		net:       &Net{},
		params:    map[string]*G.Node{},
		consumers: map[string][]*onnxio.Node{},
		fused:     map[*onnxio.Node]bool{},
		scratch:   &scratch{keepFilters: opts.FixedWeights},
	}
	for _, n := range m.Graph.Nodes {
		for _, in := range n.Inputs {
			b.consumers[in] = append(b.consumers[in], n)
		}
	}
	for _, out := range m.Graph.Outputs {
		b.consumers[out.Name] = append(b.consumers[out.Name], nil) // read from outside
	}
	b.net.Graph = b.g
	for name, t := range m.Graph.Initializers {
		b.values[name] = &value{shape: dimsToInts(t.Dims), konst: t}
	}
	if err := b.bindInputs(inputs); err != nil {
		return nil, err
	}
	for _, n := range m.Graph.Nodes {
		b.node = n
		if err := b.buildNode(n); err != nil {
			return nil, fmt.Errorf("%s: node %q (%s, opset %d): %w", m.Path, n.Name, n.OpType, m.Opset, err)
		}
	}
	b.node = nil
	for _, out := range m.Graph.Outputs {
		v, ok := b.values[out.Name]
		if !ok {
			return nil, fmt.Errorf("%s: graph output %q is never computed", m.Path, out.Name)
		}
		b.net.OutputNames = append(b.net.OutputNames, out.Name)
		b.net.outputShapes = append(b.net.outputShapes, v.shape)
		b.net.outputConsts = append(b.net.outputConsts, v.konst)
		var n *G.Node
		if v.konst == nil {
			n = v.node
		}
		b.net.Outputs = append(b.net.Outputs, n)
	}
	return b.net, nil
}

func (b *builder) bindInputs(inputs map[string]*onnxio.Tensor) error {
	known := map[string]bool{}
	for _, in := range b.model.Graph.Inputs {
		known[in.Name] = true
		t, ok := inputs[in.Name]
		if !ok {
			return fmt.Errorf("%s: graph input %q has no value; give one per input", b.model.Path, in.Name)
		}
		shape := dimsToInts(t.Dims)
		if err := checkDeclaredShape(in, shape); err != nil {
			return fmt.Errorf("%s: %w", b.model.Path, err)
		}
		if t.DataType != onnxio.Float {
			if len(t.Int) != t.NumElements() {
				return fmt.Errorf("%s: integer graph input %q needs its data while building", b.model.Path, in.Name)
			}
			b.values[in.Name] = &value{shape: shape, konst: t}
			continue
		}
		node := G.NewTensor(b.g, tensor.Float32, len(runtimeShape(shape)), G.WithShape(runtimeShape(shape)...), G.WithName(inputPrefix+in.Name))
		b.values[in.Name] = &value{shape: shape, node: node}
		b.net.Inputs = append(b.net.Inputs, node)
		b.net.InputNames = append(b.net.InputNames, in.Name)
	}
	var extra []string
	for name := range inputs {
		if !known[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("%s: the model has no input named %s", b.model.Path, strings.Join(extra, ", "))
	}
	return nil
}

// checkDeclaredShape compares a concrete input shape with the model's
// declaration; symbolic dimensions (a dynamic batch) accept any size.
func checkDeclaredShape(in onnxio.ValueInfo, shape []int) error {
	if in.Shape == nil {
		return nil
	}
	declared := make([]string, len(in.Shape))
	match := len(in.Shape) == len(shape)
	for i, d := range in.Shape {
		switch {
		case d.Value > 0:
			declared[i] = fmt.Sprint(d.Value)
			if match && int64(shape[i]) != d.Value {
				match = false
			}
		case d.Param != "":
			declared[i] = d.Param
		default:
			declared[i] = "?"
		}
	}
	if !match {
		return fmt.Errorf("input %q has shape %v, the model expects [%s]", in.Name, shape, strings.Join(declared, " "))
	}
	return nil
}

func (b *builder) buildNode(n *onnxio.Node) error {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return fmt.Errorf("operator domain %q is not supported; elight runs the default ONNX domain only", n.Domain)
	}
	build, ok := operators[n.OpType]
	if !ok {
		return fmt.Errorf("unsupported operator %s; elight supports %s", n.OpType, strings.Join(SupportedOps(), ", "))
	}
	ins := make([]*value, len(n.Inputs))
	for i, name := range n.Inputs {
		if name == "" {
			continue
		}
		v, ok := b.values[name]
		if !ok {
			return fmt.Errorf("input %q is not computed by any earlier node", name)
		}
		ins[i] = v
	}
	outs, err := build(b, n, ins)
	if err != nil {
		return err
	}
	for i, name := range n.Outputs {
		if name == "" {
			continue
		}
		if i >= len(outs) || outs[i] == nil {
			return fmt.Errorf("output %d (%q) is not supported by elight", i, name)
		}
		b.values[name] = outs[i]
	}
	return nil
}

// SupportedOps lists the operator types Build accepts, sorted.
func SupportedOps() []string {
	ops := make([]string, 0, len(operators))
	for op := range operators {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// fuse returns the node that alone reads output i of n, if it is an opType
// node, and marks it as computed by n's kernel.
func (b *builder) fuse(n *onnxio.Node, i int, opType string) bool {
	if i >= len(n.Outputs) {
		return false
	}
	readers := b.consumers[n.Outputs[i]]
	if len(readers) != 1 || readers[0] == nil || readers[0].OpType != opType {
		return false
	}
	b.fused[readers[0]] = true
	return true
}

// runtime returns the float32 gorgonia node of v, turning a build-time value
// into a graph node on first use. Float initializers become named tensors
// (the trainable parameters); other known values become constants.
func (b *builder) runtime(name string, v *value) (*G.Node, error) {
	if v.node != nil {
		return v.node, nil
	}
	t := v.konst
	data := t.Float
	if t.DataType != onnxio.Float {
		data = make([]float32, len(t.Int))
		for i, x := range t.Int {
			data[i] = float32(x)
		}
	}
	shape := runtimeShape(v.shape)
	backing := append([]float32(nil), data...)
	init, isInit := b.model.Graph.Initializers[name]
	if isInit && init == t && t.DataType == onnxio.Float {
		if p, ok := b.params[name]; ok {
			v.node = p
			return p, nil
		}
		p := G.NewTensor(b.g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))))
		b.params[name] = p
		b.net.Params = append(b.net.Params, p)
		b.net.ParamNames = append(b.net.ParamNames, name)
		v.node = p
		return p, nil
	}
	// a graph tensor with a value, not G.NewConstant: constants belong to no
	// graph until combined with a node that does, which fails for
	// operators whose inputs are all constants.
	v.node = G.NewTensor(b.g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(constPrefix+name),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))))
	return v.node, nil
}

// in returns the runtime node of input i of the current node.
func (b *builder) in(ins []*value, i int) (*G.Node, error) {
	if i >= len(ins) || ins[i] == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	return b.runtime(b.node.Inputs[i], ins[i])
}

// runtimeShape is the gorgonia shape that holds an ONNX shape: gorgonia
// scalars behave differently from tensors, so rank-0 values are held as [1].
// sameShape reports whether a and b are the same shape, dimension for
// dimension. gorgonia's Shape.Eq also calls a vector (n) equal to a column
// (n, 1), which lost the column's 1 on the way through a Reshape.
func sameShape(a, b tensor.Shape) bool { return slices.Equal(a, b) }

func runtimeShape(shape []int) tensor.Shape {
	if len(shape) == 0 {
		return tensor.Shape{1}
	}
	return tensor.Shape(append([]int(nil), shape...))
}

func dimsToInts(dims []int64) []int {
	s := make([]int, len(dims))
	for i, d := range dims {
		s[i] = int(d)
	}
	return s
}

func intsToDims(s []int) []int64 {
	d := make([]int64, len(s))
	for i, x := range s {
		d[i] = int64(x)
	}
	return d
}

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// normAxis maps a possibly negative ONNX axis into [0, rank).
func normAxis(axis int64, rank int) (int, error) {
	a := int(axis)
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	return a, nil
}

// floatScalar returns the single element of a build-time value.
func floatScalar(v *value) (float32, error) {
	if v.konst == nil {
		return 0, fmt.Errorf("expected a constant, got a computed tensor")
	}
	if v.konst.NumElements() != 1 {
		return 0, fmt.Errorf("expected a scalar, got shape %v", v.shape)
	}
	if v.konst.DataType == onnxio.Float {
		return v.konst.Float[0], nil
	}
	return float32(v.konst.Int[0]), nil
}

// ints returns a build-time integer vector, such as a Reshape shape.
func ints(v *value, what string) ([]int64, error) {
	if v == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	if v.konst == nil {
		return nil, fmt.Errorf("%s must be known while building (an initializer, a Constant or a shape computation), but it is computed from the input data", what)
	}
	if v.konst.DataType == onnxio.Float {
		out := make([]int64, len(v.konst.Float))
		for i, f := range v.konst.Float {
			if f != float32(math.Trunc(float64(f))) {
				return nil, fmt.Errorf("%s holds non-integer value %v", what, f)
			}
			out[i] = int64(f)
		}
		return out, nil
	}
	return v.konst.Int, nil
}
