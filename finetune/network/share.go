package network

import (
	G "gorgonia.org/gorgonia"
)

// bufferPool holds the output buffers of a graph's kernels that no later
// operation of the pass reads, by length, for the next kernel of that
// length to compute into. Without it every kernel held its own buffer for
// good: a training step of torchvision's ResNet-18 at batch 16 held the
// forward pass's activations and every one of their gradients at once,
// some 570 MB, where the gradients of early layers need only be computed
// once the later ones are no longer read.
type bufferPool struct {
	free map[int][][]float32
}

// get returns a buffer of n elements, its contents undefined, and whether
// it is newly allocated (then zero).
func (p *bufferPool) get(n int) (buf []float32, fresh bool) {
	if bufs := p.free[n]; len(bufs) > 0 {
		buf = bufs[len(bufs)-1]
		p.free[n] = bufs[:len(bufs)-1]
		return buf, false
	}
	return make([]float32, n), true
}

func (p *bufferPool) put(buf []float32) {
	p.free[len(buf)] = append(p.free[len(buf)], buf)
}

// ShareBuffers lets the kernels of g, whose building (the gradient's
// included) is done, hand their output buffer to the next kernel that
// needs one of its length once nothing later in the pass reads it. A
// gorgonia operator that reads the buffer may compute into it in place
// or return a view of it, so the buffer is also read wherever such an
// operator's value is, and it is given back only once every kernel that
// reads the one or the other has run: the operator has then run too. A
// buffer stays its kernel's own, valid after the pass, when some value it
// may be is read by nothing in the graph (a graph output, a loss, a
// parameter's gradient, which gorgonia reads after the operation) or is
// one of keep, read after the pass. The values computed are the same bit
// for bit: a kernel that does not write every element clears a buffer it
// gets from another. Call it once the graph is complete, before a pass:
// a node added later could read a buffer already given back. A second
// call plans afresh.
func ShareBuffers(g *G.ExprGraph, keep ...*G.Node) {
	pool := &bufferPool{free: map[int][][]float32{}}
	kept := map[*G.Node]bool{}
	for _, n := range keep {
		kept[n] = true
	}
	for _, n := range g.AllNodes() {
		if k, ok := n.Op().(*kernel); ok {
			k.owners, k.pool, k.readers = nil, nil, 0
		}
	}
	readers := func(n *G.Node) []*G.Node {
		var rs []*G.Node
		for to := g.To(n.ID()); to.Next(); {
			rs = append(rs, to.Node().(*G.Node))
		}
		return rs
	}
	for _, n := range g.AllNodes() {
		k, ok := n.Op().(*kernel)
		if !ok {
			continue
		}
		// the values that may be k's buffer: its node, and the
		// gorgonia operators reading one of them
		values, seen := []*G.Node{n}, map[*G.Node]bool{n: true}
		type slot struct {
			k *kernel
			i int
		}
		var slots []slot
		shared := true
		for len(values) > 0 && shared {
			v := values[len(values)-1]
			values = values[:len(values)-1]
			rs := readers(v)
			if len(rs) == 0 || kept[v] {
				shared = false
			}
			for _, r := range rs {
				rk, isKernel := r.Op().(*kernel)
				if !isKernel {
					if !seen[r] {
						seen[r] = true
						values = append(values, r)
					}
					continue
				}
				for i, in := range rk.inputs {
					if in == v {
						slots = append(slots, slot{rk, i})
					}
				}
			}
		}
		if !shared {
			continue
		}
		k.pool, k.readers = pool, len(slots)
		for _, s := range slots {
			if s.k.owners == nil {
				s.k.owners = make([][]*kernel, len(s.k.inputs))
			}
			s.k.owners[s.i] = append(s.k.owners[s.i], k)
		}
	}
}

// acquire makes k.out a buffer of the output's length, from the pool when
// k shares its buffer, and clears it unless forward writes every element.
func (k *kernel) acquire() {
	k.unread = k.readers
	if k.out != nil {
		if !k.fills {
			clearParallel(k.out)
		}
		return
	}
	n, fresh := k.outShape.TotalSize(), true
	if k.pool != nil {
		k.out, fresh = k.pool.get(n)
	} else {
		k.out = make([]float32, n)
	}
	if !fresh && !k.fills {
		clearParallel(k.out)
	}
}

// read tells the kernels whose outputs k read that k is done with them:
// the last reader of a shared output gives its buffer back to the pool.
func (k *kernel) read() {
	for _, owners := range k.owners {
		for _, p := range owners {
			if p.unread--; p.unread == 0 && p.out != nil {
				p.pool.put(p.out)
				p.out = nil
			}
		}
	}
}
