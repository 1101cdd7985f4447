// Package vector holds the element-wise loops of the network's forward and
// backward passes. Each has its scalar definition here; on amd64 with AVX2
// the leading elements run eight at a time (vector_amd64.s) with the same
// result bits, NaNs and signed zeros included. The assembly lives apart
// from package network because a package that uses cgo cannot hold Go
// assembly.
package vector

import "math"

// BiasReLU sets dst[i] = max(src[i]+b, 0); dst may be src.
func BiasReLU(dst, src []float32, b float32) {
	src = src[:len(dst)]
	for i := biasReLUVector(dst, src, b); i < len(dst); i++ {
		dst[i] = max(src[i]+b, 0)
	}
}

// AddBias sets dst[i] = src[i] + b; dst may be src.
func AddBias(dst, src []float32, b float32) {
	src = src[:len(dst)]
	for i := addBiasVector(dst, src, b); i < len(dst); i++ {
		dst[i] = src[i] + b
	}
}

// Add sets dst[i] += src[i].
func Add(dst, src []float32) {
	src = src[:len(dst)]
	for i := addVector(dst, src); i < len(dst); i++ {
		dst[i] += src[i]
	}
}

// ReLU sets dst[i] = max(src[i], 0).
func ReLU(dst, src []float32) {
	src = src[:len(dst)]
	for i := reluVector(dst, src); i < len(dst); i++ {
		dst[i] = max(src[i], 0)
	}
}

// ReLUGrad sets dst[i] = dy[i] where the ReLU output y[i] is positive, else
// 0. y >= +0, so y > 0 where its bits are not zero; masking the bits avoids
// a branch taken at random.
func ReLUGrad(dst, y, dy []float32) {
	y, dy = y[:len(dst)], dy[:len(dst)]
	for i := reluGradVector(dst, y, dy); i < len(dst); i++ {
		u := math.Float32bits(y[i])
		dst[i] = math.Float32frombits(math.Float32bits(dy[i]) & -((u | -u) >> 31))
	}
}

// MaxPairs sets y[i] to the largest of the 2x2 window whose top row is
// top[2i:2i+2] and bottom row bottom[2i:2i+2].
func MaxPairs(y, top, bottom []float32) {
	top, bottom = top[:2*len(y)], bottom[:2*len(y)]
	for i := maxPairsVector(y, top, bottom); i < len(y); i++ {
		y[i] = max(max(top[2*i], top[2*i+1]), max(bottom[2*i], bottom[2*i+1]))
	}
}

// MaxStride2 sets best[j] = max(best[j], src[2j]): one filter tap of a
// pooling window with stride 2 along a row of outputs.
func MaxStride2(best, src []float32) {
	if len(best) == 0 {
		return
	}
	src = src[:2*len(best)-1]
	for j := maxStride2Vector(best, src); j < len(best); j++ {
		best[j] = max(best[j], src[2*j])
	}
}

// MatchStride2 sets at[j] = code where the bits of src[2j] equal those of
// y[j], and leaves it elsewhere: one filter tap of the search for the cell
// a stride-2 max pooling window took.
func MatchStride2(at []int32, y, src []float32, code int32) {
	if len(at) == 0 {
		return
	}
	y, src = y[:len(at)], src[:2*len(at)-1]
	for j := matchStride2Vector(at, y, src, code); j < len(at); j++ {
		if math.Float32bits(src[2*j]) == math.Float32bits(y[j]) {
			at[j] = code
		}
	}
}

// Interleave4 sets dst[4i+r] = rows[r][i] for the four rows: a matrix
// product's packed panel of four columns. dst holds 4*len(rows[0]).
func Interleave4(dst []float32, rows *[4][]float32) {
	n := len(rows[0])
	a, b, c, d := rows[0], rows[1][:n], rows[2][:n], rows[3][:n]
	dst = dst[:4*n]
	for i := interleave4Vector(dst, a, b, c, d); i < n; i++ {
		dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = a[i], b[i], c[i], d[i]
	}
}

// MaxPool2x2 pools rows of width cells two by two: x holds pairs of rows,
// top then bottom, and y gets width/2 outputs a pair, each the MaxPairs of
// its window.
func MaxPool2x2(y, x []float32, width int) {
	half := width / 2
	x = x[:2*width*(len(y)/half)]
	var done int // outputs
	switch {
	case width == 8:
		done = maxPool8Vector(y, x)
	case width >= 16:
		for r := range len(y) / half {
			MaxPairs(y[r*half:(r+1)*half], x[2*r*width:], x[(2*r+1)*width:])
		}
		return
	}
	for i := done; i < len(y); i++ {
		top := x[2*width*(i/half)+2*(i%half):]
		y[i] = max(max(top[0], top[1]), max(top[width], top[width+1]))
	}
}

// Gather sets dst[i] = src[at[i]], or +0 where at[i] < 0 (im2col's padding).
// Every at[i] must be below len(src): the vector loop does not check.
func Gather(dst, src []float32, at []int32) {
	at = at[:len(dst)]
	for i := gatherVector(dst, src, at); i < len(dst); i++ {
		if at[i] >= 0 {
			dst[i] = src[at[i]]
		} else {
			dst[i] = 0
		}
	}
}

// GatherBlock is Gather for a matrix product's packed panels: up to eight
// rows r, each gathering runs*8 cells of srcs[r] by ats[r], are
// interleaved by runs of eight: run j of row r goes to dst[j*stride+8r :
// j*stride+8r+8]. Every ats[r] needs at least runs*8 offsets, each below
// len(srcs[r]): the vector loop does not check.
func GatherBlock(dst []float32, stride int, srcs [][]float32, ats [][]int32, runs int) {
	rows := len(srcs)
	if rows > 8 || len(ats) != rows || stride < 8*rows || runs > 0 && rows > 0 && len(dst) < (runs-1)*stride+8*rows {
		panic("vector: GatherBlock of more than eight rows, or dst too short for them")
	}
	for _, at := range ats {
		if len(at) < 8*runs {
			panic("vector: GatherBlock with fewer offsets than runs")
		}
	}
	if gatherBlockVector(dst, stride, srcs, ats, runs) {
		return
	}
	for j := range runs {
		for r := range rows {
			Gather(dst[j*stride+8*r:][:8], srcs[r], ats[r][8*j:8*j+8])
		}
	}
}

// MaxPool2x2Grad is MaxPool2x2's gradient. Of each window, the first cell
// (top left, top right, bottom left, bottom right) whose bits equal its
// output y gets 0 + dy, and the others +0; where none does (y a NaN), the
// bottom right one gets it. dx has x's layout and is written everywhere.
func MaxPool2x2Grad(dx, x, y, dy []float32, width int) {
	half := width / 2
	x, dx, dy = x[:2*width*(len(y)/half)], dx[:2*width*(len(y)/half)], dy[:len(y)]
	var done int // outputs
	switch {
	case width == 8:
		done = maxGrad8Vector(dx, x, y, dy)
	case width >= 16:
		for r := range len(y) / half {
			top := 2 * r * width
			n := maxGradPairsVector(dx[top:], dx[top+width:], x[top:], x[top+width:], y[r*half:(r+1)*half], dy[r*half:])
			for c := n; c < half; c++ {
				maxGradWindow(dx, x, top+2*c, width, y[r*half+c], dy[r*half+c])
			}
		}
		return
	}
	for i := done; i < len(y); i++ {
		maxGradWindow(dx, x, 2*width*(i/half)+2*(i%half), width, y[i], dy[i])
	}
}

// maxGradWindow is MaxPool2x2Grad for the window whose top left cell is at.
func maxGradWindow(dx, x []float32, at, width int, y, dy float32) {
	want := math.Float32bits(y)
	cells := [4]int{at, at + 1, at + width, at + width + 1}
	winner := 3
	for k := 2; k >= 0; k-- {
		if math.Float32bits(x[cells[k]]) == want {
			winner = k
		}
	}
	for k, cell := range cells {
		dx[cell] = 0
		if k == winner {
			dx[cell] += dy
		}
	}
}
