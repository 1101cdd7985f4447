package network

import "fmt"

// broadcastShape is the numpy broadcast of two shapes.
func broadcastShape(a, b []int) ([]int, error) {
	rank := max(len(a), len(b))
	out := make([]int, rank)
	for i := 0; i < rank; i++ {
		da, db := dimFromRight(a, rank-1-i), dimFromRight(b, rank-1-i)
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// dimFromRight returns dimension len(s)-1-k counted from the right, 1 when
// the shape is too short (numpy's implicit leading ones).
func dimFromRight(s []int, k int) int {
	i := len(s) - 1 - k
	if i < 0 {
		return 1
	}
	return s[i]
}

// indexMap describes how an output tensor reads an input tensor axis by axis:
// along output axis d, element o reads input offset maps[d][o]*inStrides[d],
// or the fill value where maps[d][o] < 0. Broadcasting, padding and cropping
// are all index maps.
type indexMap struct {
	outShape  []int
	inStrides []int
	maps      [][]int
}

// broadcastMap reads an input of shape in as if it had shape out.
func broadcastMap(in, out []int) indexMap {
	m := indexMap{outShape: out, inStrides: make([]int, len(out)), maps: make([][]int, len(out))}
	stride := 1
	for d := len(out) - 1; d >= 0; d-- {
		k := len(out) - 1 - d
		size := dimFromRight(in, k)
		m.inStrides[d] = stride
		stride *= size
		m.maps[d] = make([]int, out[d])
		for o := range m.maps[d] {
			if size != 1 {
				m.maps[d][o] = o
			}
		}
	}
	return m
}

// apply fills out from in.
func (m indexMap) apply(out, in []float32, fill float32) {
	if len(m.outShape) == 0 {
		out[0] = in[0]
		return
	}
	m.fillAxis(out, in, 0, 0, fill)
}

func (m indexMap) fillAxis(out, in []float32, axis, inOff int, fill float32) {
	maps := m.maps[axis]
	stride := m.inStrides[axis]
	if axis == len(m.outShape)-1 {
		for o, i := range maps {
			if i < 0 {
				out[o] = fill
			} else {
				out[o] = in[inOff+i*stride]
			}
		}
		return
	}
	block := numElements(m.outShape[axis+1:])
	for o, i := range maps {
		dst := out[o*block : (o+1)*block]
		if i < 0 {
			for j := range dst {
				dst[j] = fill
			}
			continue
		}
		m.fillAxis(dst, in, axis+1, inOff+i*stride, fill)
	}
}

// accumulate is the transpose of apply: every output element adds its value
// into the input element it was read from. It computes gradients.
func (m indexMap) accumulate(in, out []float32) {
	if len(m.outShape) == 0 {
		in[0] += out[0]
		return
	}
	m.accumulateAxis(in, out, 0, 0)
}

func (m indexMap) accumulateAxis(in, out []float32, axis, inOff int) {
	maps := m.maps[axis]
	stride := m.inStrides[axis]
	if axis == len(m.outShape)-1 {
		for o, i := range maps {
			if i >= 0 {
				in[inOff+i*stride] += out[o]
			}
		}
		return
	}
	block := numElements(m.outShape[axis+1:])
	for o, i := range maps {
		if i >= 0 {
			m.accumulateAxis(in, out[o*block:(o+1)*block], axis+1, inOff+i*stride)
		}
	}
}
