//go:build !purego

package vector

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The AVX2 loops of vector_amd64.s; each handles the first len(dst) &^ 7
// elements (outputs, len(y) &^ 7, for the pooling loops).

//go:noescape
func biasReLUAVX(dst, src []float32, b float32)

//go:noescape
func addBiasAVX(dst, src []float32, b float32)

//go:noescape
func addAVX(dst, src []float32)

//go:noescape
func reluAVX(dst, src []float32)

//go:noescape
func reluGradAVX(dst, y, dy []float32)

//go:noescape
func maxPairsAVX(y, top, bottom []float32)

//go:noescape
func maxPool8AVX(y, x []float32)

//go:noescape
func gatherAVX(dst, src []float32, at []int32)

//go:noescape
func maxStride2AVX(best, src []float32)

//go:noescape
func matchStride2AVX(at []int32, y, src []float32, code int32)

//go:noescape
func interleave4AVX(dst, a, b, c, d []float32)

//go:noescape
func gatherBlockAVX(dst *float32, stride int, srcs, ats *[8]unsafe.Pointer, rows, runs int)

//go:noescape
func maxGradPairsAVX(dxTop, dxBottom, top, bottom, y, dy []float32)

//go:noescape
func maxGrad8AVX(dx, x, y, dy []float32)

// vectorOK reports whether the AVX2 loops may run on n elements.
func vectorOK(n int) bool { return cpu.X86.HasAVX2 && n >= 8 }

func biasReLUVector(dst, src []float32, b float32) int {
	if !vectorOK(len(dst)) {
		return 0
	}
	biasReLUAVX(dst, src, b)
	return len(dst) &^ 7
}

func addBiasVector(dst, src []float32, b float32) int {
	if !vectorOK(len(dst)) {
		return 0
	}
	addBiasAVX(dst, src, b)
	return len(dst) &^ 7
}

func addVector(dst, src []float32) int {
	if !vectorOK(len(dst)) {
		return 0
	}
	addAVX(dst, src)
	return len(dst) &^ 7
}

func reluVector(dst, src []float32) int {
	if !vectorOK(len(dst)) {
		return 0
	}
	reluAVX(dst, src)
	return len(dst) &^ 7
}

func reluGradVector(dst, y, dy []float32) int {
	if !vectorOK(len(dst)) {
		return 0
	}
	reluGradAVX(dst, y, dy)
	return len(dst) &^ 7
}

func maxPairsVector(y, top, bottom []float32) int {
	if !vectorOK(len(y)) {
		return 0
	}
	maxPairsAVX(y, top, bottom)
	return len(y) &^ 7
}

func maxPool8Vector(y, x []float32) int {
	if !vectorOK(len(y)) {
		return 0
	}
	maxPool8AVX(y, x)
	return len(y) &^ 7
}

func gatherVector(dst, src []float32, at []int32) int {
	if !vectorOK(len(dst)) {
		return 0
	}
	gatherAVX(dst, src, at)
	return len(dst) &^ 7
}

// stride2Outputs is how many of n outputs the stride-2 loops take: whole
// runs of eight whose 16 cells lie inside src.
func stride2Outputs(n, cells int) int { return min(n, cells/2) &^ 7 }

func maxStride2Vector(best, src []float32) int {
	n := stride2Outputs(len(best), len(src))
	if !vectorOK(n) {
		return 0
	}
	maxStride2AVX(best[:n], src)
	return n
}

func matchStride2Vector(at []int32, y, src []float32, code int32) int {
	n := stride2Outputs(len(at), len(src))
	if !vectorOK(n) {
		return 0
	}
	matchStride2AVX(at[:n], y, src, code)
	return n
}

func interleave4Vector(dst, a, b, c, d []float32) int {
	if !vectorOK(len(a)) {
		return 0
	}
	interleave4AVX(dst, a, b, c, d)
	return len(a) &^ 7
}

func gatherBlockVector(dst []float32, stride int, srcs [][]float32, ats [][]int32, runs int) bool {
	if !vectorOK(8) || runs == 0 || len(srcs) == 0 {
		return false
	}
	var srcAt, atAt [8]unsafe.Pointer
	for r := range srcs {
		srcAt[r], atAt[r] = unsafe.Pointer(unsafe.SliceData(srcs[r])), unsafe.Pointer(unsafe.SliceData(ats[r]))
	}
	gatherBlockAVX(&dst[0], stride, &srcAt, &atAt, len(srcs), runs)
	return true
}

func maxGradPairsVector(dxTop, dxBottom, top, bottom, y, dy []float32) int {
	if !vectorOK(len(y)) {
		return 0
	}
	maxGradPairsAVX(dxTop, dxBottom, top, bottom, y, dy)
	return len(y) &^ 7
}

func maxGrad8Vector(dx, x, y, dy []float32) int {
	if !vectorOK(len(y)) {
		return 0
	}
	maxGrad8AVX(dx, x, y, dy)
	return len(y) &^ 7
}
