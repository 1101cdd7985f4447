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
// needs one of its length once every operation that reads it has run in
// the pass. An output stays a kernel's own, valid after the pass, when
// something other than a kernel reads it (a gorgonia operator, which may
// keep a view of it, the losses, the gradient accumulation), when nothing
// in the graph reads it, or when it is one of keep, read after the pass.
// The values computed are the same bit for bit: a kernel that does not
// write every element clears a buffer it gets from another. Call it once,
// before the graph's first pass.
func ShareBuffers(g *G.ExprGraph, keep ...*G.Node) {
	pool := &bufferPool{free: map[int][][]float32{}}
	kept := map[*G.Node]bool{}
	for _, n := range keep {
		kept[n] = true
	}
	for _, n := range g.AllNodes() {
		k, ok := n.Op().(*kernel)
		if !ok {
			continue
		}
		readers, shared := 0, !kept[n]
		to := g.To(n.ID())
		for to.Next() {
			c, ok := to.Node().(*G.Node)
			ck, isKernel := c.Op().(*kernel)
			if !ok || !isKernel {
				shared = false
				break
			}
			for _, p := range ck.producers {
				if p == k {
					readers++
				}
			}
		}
		if shared && readers > 0 {
			k.pool, k.readers = pool, readers
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
	for _, p := range k.producers {
		if p == nil || p.pool == nil {
			continue
		}
		if p.unread--; p.unread == 0 && p.out != nil {
			p.pool.put(p.out)
			p.out = nil
		}
	}
}
