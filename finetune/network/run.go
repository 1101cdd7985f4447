package network

import (
	"fmt"
	"math"

	"github.com/elight-photonic/elight/onnxio"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Run binds the float inputs, runs the graph forward and returns the graph
// outputs in order. Inputs must have the shapes the Net was built for.
func (n *Net) Run(inputs map[string]*onnxio.Tensor) (outs []*onnxio.Tensor, err error) {
	defer recoverPanic("forward pass", &err)
	if err := n.bind(inputs); err != nil {
		return nil, err
	}
	if len(n.Graph.AllNodes()) > 0 {
		if n.vm == nil {
			ShareBuffers(n.Graph, n.Outputs...)
			n.vm = G.NewTapeMachine(n.Graph)
		}
		n.vm.Reset()
		if err := n.vm.RunAll(); err != nil {
			return nil, fmt.Errorf("forward pass: %w", err)
		}
	}
	return n.outputs()
}

// recoverPanic turns a panic inside gorgonia into an error: elight reports
// bad models and inputs, it does not crash on them.
func recoverPanic(what string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: internal error in the gorgonia engine: %v", what, r)
	}
}

func (n *Net) bind(inputs map[string]*onnxio.Tensor) error {
	for i, node := range n.Inputs {
		name := n.InputNames[i]
		t, ok := inputs[name]
		if !ok {
			return fmt.Errorf("input %q has no value", name)
		}
		if t.DataType != onnxio.Float || len(t.Float) != node.Shape().TotalSize() {
			return fmt.Errorf("input %q: got %v tensor of shape %v, the network was built for float32 %v", name, t.DataType, t.Dims, node.Shape())
		}
		if i := firstNonFinite(t.Float); i >= 0 {
			return fmt.Errorf("input %q: element %d is %v; inputs must be finite", name, i, t.Float[i])
		}
		backing := append([]float32(nil), t.Float...)
		if err := G.Let(node, tensor.New(tensor.WithShape(node.Shape().Clone()...), tensor.WithBacking(backing))); err != nil {
			return fmt.Errorf("input %q: %w", name, err)
		}
	}
	return nil
}

func firstNonFinite(xs []float32) int {
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}

func (n *Net) outputs() ([]*onnxio.Tensor, error) {
	outs := make([]*onnxio.Tensor, len(n.OutputNames))
	for i, name := range n.OutputNames {
		if k := n.outputConsts[i]; k != nil {
			t := *k
			t.Name = name
			outs[i] = &t
			continue
		}
		data, err := Float32s(n.Outputs[i].Value())
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", name, err)
		}
		outs[i] = &onnxio.Tensor{
			Name:     name,
			DataType: onnxio.Float,
			Dims:     intsToDims(n.outputShapes[i]),
			Float:    append([]float32(nil), data...),
		}
	}
	return outs, nil
}
