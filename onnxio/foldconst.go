package onnxio

import (
	"fmt"
	"slices"
)

// FoldConstants replaces Identity and Transpose nodes whose input is an
// initializer by an initializer of their output, computed now. Exporters
// leave both when they do not fold constants: a bias-free nn.Linear
// becomes Transpose(weight) -> MatMul, and equal biases are merged into one
// initializer that Identity nodes hand to each layer. After folding, such
// a MatMul has a constant weight, so it maps onto photonic cores, and
// each layer owns its bias, so its BatchNorm can be folded into it. It
// returns the names of the nodes it removed (their output for a node
// without a name); graph outputs are left to their nodes.
func FoldConstants(m *Model) (folded []string, err error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("model has no graph")
	}
	g := m.Graph
	pinned := pinnedNames(g)
	var keep []*Node
	read := map[string]bool{} // initializers the folded nodes read
	for i, n := range g.Nodes {
		t, ok := foldConstant(g, n, pinned)
		if !ok {
			keep = append(keep, n)
			continue
		}
		read[n.Inputs[0]] = true
		if t == nil {
			err := fmt.Errorf("folding %s: its input is not a tensor it can transpose", n.label(i))
			if m.Path != "" {
				err = fmt.Errorf("%s: %w", m.Path, err)
			}
			return folded, err
		}
		m.SetInitializer(t)
		name := n.Name
		if name == "" {
			name = n.Outputs[0]
		}
		folded = append(folded, name)
	}
	g.Nodes = keep
	// initializers that only the folded nodes read leave the graph
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			delete(read, in)
		}
	}
	for name := range read {
		if !pinned[name] {
			delete(g.Initializers, name)
		}
	}
	return folded, nil
}

// foldConstant returns the initializer that replaces n, and whether n is a
// node to fold: a default-domain Identity or Transpose of one float or
// integer initializer, with one output that is not pinned. A nil tensor
// with ok means n should fold but cannot (a perm that does not fit).
func foldConstant(g *Graph, n *Node, pinned map[string]bool) (*Tensor, bool) {
	if !isDefaultDomain(n.Domain) || (n.OpType != "Identity" && n.OpType != "Transpose") ||
		len(n.Inputs) != 1 || len(n.Outputs) != 1 || pinned[n.Outputs[0]] {
		return nil, false
	}
	in, ok := g.Initializers[n.Inputs[0]]
	if !ok {
		return nil, false
	}
	if n.OpType == "Identity" {
		return &Tensor{Name: n.Outputs[0], DataType: in.DataType, Dims: slices.Clone(in.Dims),
			Float: slices.Clone(in.Float), Int: slices.Clone(in.Int)}, true
	}
	rank := len(in.Dims)
	perm := n.AttrInts("perm", nil)
	if perm == nil {
		for d := rank - 1; d >= 0; d-- {
			perm = append(perm, int64(d))
		}
	}
	if !isPermutation(perm, rank) {
		return nil, true
	}
	return transpose(in, perm, n.Outputs[0]), true
}

// isPermutation reports whether perm orders 0..rank-1.
func isPermutation(perm []int64, rank int) bool {
	if len(perm) != rank {
		return false
	}
	seen := make([]bool, rank)
	for _, p := range perm {
		if p < 0 || p >= int64(rank) || seen[p] {
			return false
		}
		seen[p] = true
	}
	return true
}

// transpose returns t with its axes in the order perm: axis i of the
// result is axis perm[i] of t.
func transpose(t *Tensor, perm []int64, name string) *Tensor {
	rank := len(t.Dims)
	out := &Tensor{Name: name, DataType: t.DataType, Dims: make([]int64, rank)}
	for i, p := range perm {
		out.Dims[i] = t.Dims[p]
	}
	// strides of t, in elements
	stride := make([]int64, rank)
	s := int64(1)
	for d := rank - 1; d >= 0; d-- {
		stride[d], s = s, s*t.Dims[d]
	}
	n := t.NumElements()
	if t.Float != nil {
		out.Float = make([]float32, n)
	} else {
		out.Int = make([]int64, n)
	}
	index := make([]int64, rank) // position in the result
	for k := range n {
		var from int64
		for i, p := range perm {
			from += index[i] * stride[p]
		}
		if t.Float != nil {
			out.Float[k] = t.Float[from]
		} else {
			out.Int[k] = t.Int[from]
		}
		for d := rank - 1; d >= 0; d-- {
			if index[d]++; index[d] < out.Dims[d] {
				break
			}
			index[d] = 0
		}
	}
	return out
}
