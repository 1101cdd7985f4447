package network

import (
	"fmt"

	"github.com/elight-photonic/elight/onnxio"
	G "gorgonia.org/gorgonia"
)

type padMode int

const (
	padConstant padMode = iota
	padReflect
	padEdge
)

func buildPad(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	x := ins[0]
	var pads []int64
	fill := float32(0)
	if b.model.Opset < 11 {
		pads = n.AttrInts("pads", nil)
		fill = n.AttrFloat("value", 0)
	} else {
		var err error
		if len(ins) < 2 {
			return nil, fmt.Errorf("the pads input is missing")
		}
		if pads, err = ints(ins[1], "the pads input"); err != nil {
			return nil, err
		}
		if len(ins) > 2 && ins[2] != nil {
			if ins[2].konst == nil {
				return b.padComputedFill(n, ins, pads)
			}
			if fill, err = floatScalar(ins[2]); err != nil {
				return nil, fmt.Errorf("constant_value: %w", err)
			}
		}
		if len(ins) > 3 && ins[3] != nil {
			return nil, fmt.Errorf("the axes input (opset 18) is not supported")
		}
	}
	if len(pads) != 2*len(x.shape) {
		return nil, fmt.Errorf("pads has %d entries, want %d for rank %d", len(pads), 2*len(x.shape), len(x.shape))
	}
	var mode padMode
	switch m := n.AttrString("mode", "constant"); m {
	case "constant":
		mode = padConstant
	case "reflect":
		mode = padReflect
	case "edge":
		mode = padEdge
	default:
		return nil, fmt.Errorf("mode %q is not supported (constant, reflect, edge)", m)
	}
	node, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	p := make([]int, len(pads))
	for i, v := range pads {
		p[i] = int(v)
	}
	out, err := padNode(node, x.shape, p, mode, fill)
	if err != nil {
		return nil, err
	}
	return []*value{{shape: paddedShape(x.shape, p), node: out}}, nil
}

// padComputedFill pads with a constant_value that is a graph input rather
// than a constant, as ONNX's own tests do; it is not differentiable.
func (b *builder) padComputedFill(n *onnxio.Node, ins []*value, pads []int64) ([]*value, error) {
	if mode := n.AttrString("mode", "constant"); mode != "constant" {
		return nil, fmt.Errorf("constant_value is given, but mode is %q", mode)
	}
	if numElements(ins[2].shape) != 1 {
		return nil, fmt.Errorf("constant_value must be a scalar, got shape %v", ins[2].shape)
	}
	p := make([]int, len(pads))
	for i, v := range pads {
		p[i] = int(v)
	}
	m, err := padMap(ins[0].shape, p, padConstant)
	if err != nil {
		return nil, err
	}
	x, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	fill, err := b.in(ins, 2)
	if err != nil {
		return nil, err
	}
	out, err := applyKernel("Pad", runtimeShape(m.outShape), func(out []float32, in [][]float32) {
		m.apply(out, in[0], in[1][0])
	}, nil, x, fill)
	return []*value{{shape: m.outShape, node: out}}, err
}

func paddedShape(shape, pads []int) []int {
	out := make([]int, len(shape))
	for d := range shape {
		out[d] = shape[d] + pads[d] + pads[d+len(shape)]
	}
	return out
}

// padNode pads (or, with negative pads, crops) x. pads holds the begin pads
// of every axis, then the end pads, as ONNX orders them.
func padNode(x *G.Node, shape, pads []int, mode padMode, fill float32) (*G.Node, error) {
	m, err := padMap(shape, pads, mode)
	if err != nil {
		return nil, err
	}
	backward := func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		dx, err := applyKernel("PadGrad", inputs[0].Shape(), func(out []float32, in [][]float32) {
			m.accumulate(out, in[0])
		}, nil, grad)
		return G.Nodes{dx}, err
	}
	return applyKernel(fmt.Sprintf("Pad%v", pads), runtimeShape(m.outShape), func(out []float32, in [][]float32) {
		m.apply(out, in[0], fill)
	}, backward, x)
}

func padMap(shape, pads []int, mode padMode) (indexMap, error) {
	rank := len(shape)
	out := paddedShape(shape, pads)
	m := indexMap{outShape: out, inStrides: make([]int, rank), maps: make([][]int, rank)}
	stride := 1
	for d := rank - 1; d >= 0; d-- {
		if out[d] < 0 {
			return m, fmt.Errorf("pads %v crop axis %d of size %d below zero", pads, d, shape[d])
		}
		m.inStrides[d] = stride
		stride *= shape[d]
		size := shape[d]
		if mode == padReflect && size < 2 && out[d] != size {
			return m, fmt.Errorf("reflect padding needs at least 2 elements along axis %d", d)
		}
		if mode != padConstant && size == 0 && out[d] > 0 {
			return m, fmt.Errorf("cannot %v-pad an empty axis %d", mode, d)
		}
		m.maps[d] = make([]int, out[d])
		for o := range m.maps[d] {
			i := o - pads[d]
			switch {
			case i >= 0 && i < size:
			case mode == padConstant:
				i = -1
			case mode == padEdge:
				i = min(max(i, 0), size-1)
			default:
				for i < 0 || i >= size {
					if i < 0 {
						i = -i
					}
					if i >= size {
						i = 2*(size-1) - i
					}
				}
			}
			m.maps[d][o] = i
		}
	}
	return m, nil
}

func (m padMode) String() string { return [...]string{"constant", "reflect", "edge"}[m] }
