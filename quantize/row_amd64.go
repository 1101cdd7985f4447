//go:build !purego

package quantize

import "golang.org/x/sys/cpu"

// hasLevelCounter reports whether countLevels runs: it needs AVX2.
var hasLevelCounter = cpu.X86.HasAVX2

// countLevelsAVX2 stores the signed level of each of the first len(w) &^ 15
// weights: the number of thresholds at or below its magnitude, negated for
// a negative weight (row_amd64.s).
//
//go:noescape
func countLevelsAVX2(levels []int16, w []float32, thresholds []float32)

// countLevels computes QuantizeRow's levels for as many leading weights as
// the vector code handles and returns how many.
func countLevels(levels []int16, w []float32, thresholds []float32) int {
	countLevelsAVX2(levels, w, thresholds)
	return len(w) &^ 15
}
