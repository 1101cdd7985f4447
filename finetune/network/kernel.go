package network

import (
	"fmt"
	"hash"
	"hash/fnv"
	"strings"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/elight-photonic/elight/quantize/parallel"
)

// kernel is a gorgonia operator whose forward pass is a plain Go function over
// float32 slices. elight builds every graph for concrete input shapes, so a
// kernel knows all its shapes up front; this keeps ONNX semantics (ceil-mode
// pooling, asymmetric pads, numpy broadcasting) in short loops we control
// instead of in gorgonia operators whose conventions differ.
type kernel struct {
	name     string // operator and parameters, for debugging output
	id       uint64 // keeps gorgonia from merging two kernels with equal names
	inShapes []tensor.Shape
	outShape tensor.Shape
	forward  func(out []float32, in [][]float32)
	wrt      []bool // inputs with a gradient: not the network's data inputs or constants

	// out is the output buffer, reused from pass to pass. It is cleared
	// before forward runs, since gradient kernels accumulate into it,
	// unless fills says forward writes every element.
	out   []float32
	fills bool

	// inputs are the input nodes, in order. ShareBuffers sets owners,
	// for each input, the kernels whose output buffer it may be (their
	// own node, or a gorgonia operator's that may compute in place or
	// return a view), and pool, for a kernel whose buffer goes back to
	// it once its readers (kernel input slots) have all run in a pass,
	// unread of them still to run.
	inputs          []*G.Node
	owners          [][]*kernel
	pool            *bufferPool
	readers, unread int

	// backward returns one gradient node per input (nil where an input has
	// none). A kernel without it is not differentiable; gorgonia then
	// reports an error if training needs a gradient through it.
	backward func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error)
}

var kernelIDs atomic.Uint64

// applyKernel adds a kernel to the graph of its inputs and returns its output.
func applyKernel(name string, outShape tensor.Shape, forward func(out []float32, in [][]float32),
	backward func(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error), inputs ...*G.Node) (*G.Node, error) {
	k := &kernel{
		name:     name,
		id:       kernelIDs.Add(1),
		outShape: outShape.Clone(),
		forward:  forward,
		backward: backward,
	}
	for _, in := range inputs {
		k.inShapes = append(k.inShapes, in.Shape().Clone())
		k.wrt = append(k.wrt, backward != nil && !isDataInput(in))
		k.inputs = append(k.inputs, in)
	}
	return G.ApplyOp(k, inputs...)
}

func tensorType(s tensor.Shape) hm.Type {
	return G.TensorType{Dims: s.Dims(), Of: tensor.Float32}
}

func (k *kernel) Arity() int { return len(k.inShapes) }

func (k *kernel) Type() hm.Type {
	types := make([]hm.Type, 0, len(k.inShapes)+1)
	for _, s := range k.inShapes {
		types = append(types, tensorType(s))
	}
	types = append(types, tensorType(k.outShape))
	return hm.NewFnType(types...)
}

func (k *kernel) InferShape(...G.DimSizer) (tensor.Shape, error) { return k.outShape.Clone(), nil }

func (k *kernel) Do(values ...G.Value) (G.Value, error) {
	if len(values) != len(k.inShapes) {
		return nil, fmt.Errorf("%s: got %d inputs, want %d", k.name, len(values), len(k.inShapes))
	}
	in := make([][]float32, len(values))
	for i, v := range values {
		data, err := Float32s(v)
		if err != nil {
			return nil, fmt.Errorf("%s: input %d: %w", k.name, i, err)
		}
		if len(data) != k.inShapes[i].TotalSize() {
			return nil, fmt.Errorf("%s: input %d has %d elements, want shape %v", k.name, i, len(data), k.inShapes[i])
		}
		in[i] = data
	}
	k.acquire()
	k.forward(k.out, in)
	k.read()
	// a fresh tensor header every pass: gorgonia reshapes values in place
	return tensor.New(tensor.WithShape(k.outShape.Clone()...), tensor.WithBacking(k.out)), nil
}

// clearParallel zeroes buf on every CPU.
func clearParallel(buf []float32) {
	parallel.Split(len(buf), 1, minParallelWork, func(_, lo, hi int) { clear(buf[lo:hi]) })
}

// filling marks the kernel that computes n as writing every output element,
// so that its buffer need not be cleared before each pass.
func filling(n *G.Node, err error) (*G.Node, error) {
	if err == nil {
		n.Op().(*kernel).fills = true
	}
	return n, err
}

// Name prefixes of the leaves Build makes for graph inputs and constants.
const (
	inputPrefix = "input:"
	constPrefix = "const:"
)

// isDataInput reports a leaf that is never trained: a graph input or a
// constant. Kernels compute no gradient for it; the input gradient of a
// network's first Conv would cost as much as the layer.
func isDataInput(n *G.Node) bool {
	return n.Op() == nil && (strings.HasPrefix(n.Name(), inputPrefix) || strings.HasPrefix(n.Name(), constPrefix))
}

// Float32s returns the elements of a float32 gorgonia value in row-major order,
// copying only when the value is a strided view.
func Float32s(v G.Value) ([]float32, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("value of type %T is not a dense tensor", v)
	}
	if d.RequiresIterator() {
		d = d.Materialize().(*tensor.Dense)
	}
	data, ok := d.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("tensor of %v, want float32", d.Dtype())
	}
	return data, nil
}

func (k *kernel) ReturnsPtr() bool     { return false }
func (k *kernel) CallsExtern() bool    { return false }
func (k *kernel) OverwritesInput() int { return -1 }
func (k *kernel) String() string       { return k.name }

func (k *kernel) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s#%d", k.name, k.id) }

func (k *kernel) Hashcode() uint32 {
	h := fnv.New32a()
	k.WriteHash(h)
	return h.Sum32()
}

// DiffWRT and SymDiff make every kernel a gorgonia.SDOp; kernels without a
// backward function refuse to be differentiated.
func (k *kernel) DiffWRT(n int) []bool {
	if n != len(k.wrt) {
		return make([]bool, n)
	}
	return append([]bool(nil), k.wrt...)
}

func (k *kernel) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if k.backward == nil {
		return nil, fmt.Errorf("%s has no gradient: it cannot be on the path of a trained weight", k.name)
	}
	return k.backward(inputs, output, grad)
}
