//go:build !amd64 || purego

package vector

func biasReLUVector(dst, src []float32, b float32) int                { return 0 }
func addBiasVector(dst, src []float32, b float32) int                 { return 0 }
func reluVector(dst, src []float32) int                               { return 0 }
func reluGradVector(dst, y, dy []float32) int                         { return 0 }
func maxPairsVector(y, top, bottom []float32) int                     { return 0 }
func maxPool8Vector(y, x []float32) int                               { return 0 }
func gatherVector(dst, src []float32, at []int32) int                 { return 0 }
func maxStride2Vector(best, src []float32) int                        { return 0 }
func matchStride2Vector(at []int32, y, src []float32, code int32) int { return 0 }
func interleave4Vector(dst, a, b, c, d []float32) int                 { return 0 }
func gatherBlockVector(dst []float32, stride int, srcs [][]float32, ats [][]int32, runs int) bool {
	return false
}
func maxGradPairsVector(dxTop, dxBottom, top, bottom, y, dy []float32) int { return 0 }
func maxGrad8Vector(dx, x, y, dy []float32) int                            { return 0 }
func addVector(dst, src []float32) int                                     { return 0 }
