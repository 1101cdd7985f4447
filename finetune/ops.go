package finetune

import (
	"fmt"
	"github.com/elight-photonic/elight/finetune/network"
	"hash"
	"hash/fnv"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var opIDs atomic.Uint64

// steOp is the PCM quantizer in the forward pass: it replaces every weight
// by its dequantized level, q(w). Rounding has no useful derivative, so the
// gradient passes straight through to w (the straight-through estimator).
type steOp struct {
	id       uint64
	shape    tensor.Shape
	quantize func(w []float32) []float32
}

func applySTE(w *G.Node, quantize func(w []float32) []float32) (*G.Node, error) {
	return G.ApplyOp(&steOp{id: opIDs.Add(1), shape: w.Shape().Clone(), quantize: quantize}, w)
}

func (op *steOp) Arity() int { return 1 }
func (op *steOp) Type() hm.Type {
	t := G.TensorType{Dims: op.shape.Dims(), Of: tensor.Float32}
	return hm.NewFnType(t, t)
}
func (op *steOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *steOp) Do(values ...G.Value) (G.Value, error) {
	w, err := network.Float32s(values[0])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	return tensor.New(tensor.WithShape(op.shape.Clone()...), tensor.WithBacking(op.quantize(w))), nil
}
func (op *steOp) ReturnsPtr() bool      { return false }
func (op *steOp) CallsExtern() bool     { return false }
func (op *steOp) OverwritesInput() int  { return -1 }
func (op *steOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "PCMQuantize#%d", op.id) }
func (op *steOp) Hashcode() uint32      { return hashOf(op) }
func (op *steOp) String() string        { return fmt.Sprintf("PCMQuantize%v", op.shape) }
func (op *steOp) DiffWRT(int) []bool    { return []bool{true} }
func (op *steOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return G.Nodes{grad}, nil
}

func hashOf(op G.Op) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// lossOp is a scalar loss of one tensor whose value and gradient one Go
// function computes together. The forward pass keeps the gradient; the
// backward pass (lossGradOp) scales it by the incoming gradient, so nothing
// is computed twice.
type lossOp struct {
	id    uint64
	name  string
	shape tensor.Shape
	eval  func(x []float32) (loss float64, grad []float32, err error)
	grad  []float32 // of the latest forward pass
}

// applyLoss adds a scalar loss of x to x's graph.
func applyLoss(name string, x *G.Node, eval func(x []float32) (float64, []float32, error)) (*G.Node, error) {
	return G.ApplyOp(&lossOp{id: opIDs.Add(1), name: name, shape: x.Shape().Clone(), eval: eval}, x)
}

func (op *lossOp) Arity() int { return 1 }
func (op *lossOp) Type() hm.Type {
	return hm.NewFnType(G.TensorType{Dims: op.shape.Dims(), Of: tensor.Float32}, tensor.Float32)
}
func (op *lossOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (op *lossOp) Do(values ...G.Value) (G.Value, error) {
	x, err := network.Float32s(values[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	loss, grad, err := op.eval(x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	op.grad = grad
	return G.NewF32(float32(loss)), nil
}
func (op *lossOp) ReturnsPtr() bool      { return false }
func (op *lossOp) CallsExtern() bool     { return false }
func (op *lossOp) OverwritesInput() int  { return -1 }
func (op *lossOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s#%d", op.name, op.id) }
func (op *lossOp) Hashcode() uint32      { return hashOf(op) }
func (op *lossOp) String() string        { return op.name }
func (op *lossOp) DiffWRT(int) []bool    { return []bool{true} }
func (op *lossOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&lossGradOp{loss: op}, inputs[0], grad)
	return G.Nodes{dx}, err
}

// lossGradOp multiplies its loss's saved gradient by the upstream scalar.
type lossGradOp struct {
	loss    *lossOp
	product []float32 // reused from step to step
}

func (op *lossGradOp) Arity() int { return 2 }
func (op *lossGradOp) Type() hm.Type {
	t := G.TensorType{Dims: op.loss.shape.Dims(), Of: tensor.Float32}
	return hm.NewFnType(t, tensor.Float32, t)
}
func (op *lossGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.loss.shape.Clone(), nil
}
func (op *lossGradOp) Do(values ...G.Value) (G.Value, error) {
	upstream, ok := values[1].(*G.F32)
	if !ok {
		return nil, fmt.Errorf("%s gradient: upstream gradient of type %T, want a float32 scalar", op.loss.name, values[1])
	}
	out := op.loss.grad
	// In the training graph the upstream gradient of every loss is the
	// constant 1, and v * 1 is v bit for bit: the saved gradient serves as
	// it is. gorgonia may add another gradient into it in place, which
	// does no harm: the next forward pass writes it anew.
	if g := float32(*upstream); g != 1 {
		op.product = resized(op.product, len(out))
		for i, v := range out {
			op.product[i] = v * g
		}
		out = op.product
	}
	return tensor.New(tensor.WithShape(op.loss.shape.Clone()...), tensor.WithBacking(out)), nil
}
func (op *lossGradOp) ReturnsPtr() bool      { return false }
func (op *lossGradOp) CallsExtern() bool     { return false }
func (op *lossGradOp) OverwritesInput() int  { return -1 }
func (op *lossGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%sGrad#%d", op.loss.name, op.loss.id) }
func (op *lossGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *lossGradOp) String() string        { return op.loss.name + "Grad" }
