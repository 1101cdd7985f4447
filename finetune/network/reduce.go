package network

import (
	"fmt"
	"slices"

	"github.com/elight-photonic/elight/onnxio"
	G "gorgonia.org/gorgonia"
)

// buildTranspose permutes the axes of its input: axis d of the output is
// axis perm[d] of the input (by default the axes reversed). Its gradient
// is the transpose back, an index map's accumulate.
func buildTranspose(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	in := ins[0].shape
	rank := len(in)
	perm := n.AttrInts("perm", nil)
	if perm == nil {
		for d := rank - 1; d >= 0; d-- {
			perm = append(perm, int64(d))
		}
	}
	if len(perm) != rank {
		return nil, fmt.Errorf("perm %v does not order the %d axes of %v", perm, rank, in)
	}
	seen := make([]bool, rank)
	for _, p := range perm {
		if p < 0 || p >= int64(rank) || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation of the %d axes of %v", perm, rank, in)
		}
		seen[p] = true
	}
	strides := make([]int, rank)
	for d, s := rank-1, 1; d >= 0; d-- {
		strides[d], s = s, s*in[d]
	}
	m := indexMap{outShape: make([]int, rank), inStrides: make([]int, rank), maps: make([][]int, rank)}
	for d, p := range perm {
		m.outShape[d], m.inStrides[d] = in[p], strides[p]
		m.maps[d] = make([]int, in[p])
		for o := range m.maps[d] {
			m.maps[d][o] = o
		}
	}
	if slices.Equal(m.outShape, in) && slices.IsSorted(perm) {
		return []*value{ins[0]}, nil // the identity permutation
	}
	return b.mapped("Transpose", ins, m)
}

// mapped returns the output that index map m reads from the first input;
// its gradient adds each output element back where it was read.
func (b *builder) mapped(name string, ins []*value, m indexMap) ([]*value, error) {
	node, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	backward := func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		dx, err := applyKernel(name+"Grad", inputs[0].Shape(), func(out []float32, in [][]float32) {
			clear(out)
			m.accumulate(out, in[0])
		}, nil, grad)
		return G.Nodes{dx}, err
	}
	y, err := applyKernel(name, runtimeShape(m.outShape), func(out []float32, in [][]float32) {
		m.apply(out, in[0], 0)
	}, backward, node)
	if err != nil {
		return nil, err
	}
	return []*value{{shape: m.outShape, node: y}}, nil
}

// buildReduceMean averages its input over the axes attribute (all axes by
// default), keeping them as size 1 unless keepdims is 0, as the
// squeeze-excitation blocks of some CNNs do over height and width.
func buildReduceMean(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	in := ins[0].shape
	rank := len(in)
	reduce := make([]bool, rank)
	axes := n.AttrInts("axes", nil)
	if len(ins) > 1 && ins[1] != nil {
		var err error
		if axes, err = ints(ins[1], "the axes input"); err != nil {
			return nil, err
		}
	}
	if len(axes) == 0 {
		for d := range reduce {
			reduce[d] = true
		}
	}
	for _, a := range axes {
		d, err := normAxis(a, rank)
		if err != nil {
			return nil, err
		}
		reduce[d] = true
	}
	kept := make([]int, rank) // the output with the reduced axes as 1
	count := 1
	var out []int
	keepdims := n.AttrInt("keepdims", 1) != 0
	for d, size := range in {
		kept[d] = size
		if reduce[d] {
			kept[d], count = 1, count*size
			if !keepdims {
				continue
			}
		}
		out = append(out, kept[d])
	}
	x, err := b.in(ins, 0)
	if err != nil {
		return nil, err
	}
	// the input reads the output broadcast over the reduced axes, so the
	// map's accumulate sums over them and its apply spreads a gradient back
	spread := broadcastMap(kept, in)
	scale := 1 / float32(count)
	backward := func(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
		dx, err := applyKernel("ReduceMeanGrad", inputs[0].Shape(), func(dst []float32, src [][]float32) {
			spread.apply(dst, src[0], 0)
			for i := range dst {
				dst[i] *= scale
			}
		}, nil, grad)
		return G.Nodes{dx}, err
	}
	y, err := applyKernel("ReduceMean", runtimeShape(out), func(dst []float32, src [][]float32) {
		clear(dst)
		spread.accumulate(dst, src[0])
		for i := range dst {
			dst[i] *= scale
		}
	}, backward, x)
	if err != nil {
		return nil, err
	}
	return []*value{{shape: out, node: y}}, nil
}
