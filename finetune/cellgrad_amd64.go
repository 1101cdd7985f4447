//go:build !purego

package finetune

import "golang.org/x/sys/cpu"

// addPowersAVX and cellGradientsAVX compute addPowers and cellGradients
// for the first len(c) &^ 3 levels, four at a time (cellgrad_amd64.s).
//
//go:noescape
func addPowersAVX(sp, sn, c []float64)

//go:noescape
func cellGradientsAVX(gradC, c []float64, f *cellFactors, cells float64)

// addPowersVector computes addPowers for as many leading levels as the
// vector code handles and returns how many.
func addPowersVector(sp, sn, c []float64) int {
	if !cpu.X86.HasAVX || len(c) < 4 {
		return 0
	}
	addPowersAVX(sp, sn, c)
	return len(c) &^ 3
}

// cellGradientsVector computes cellGradients for as many leading levels
// as the vector code handles and returns how many.
func cellGradientsVector(gradC, c []float64, f *cellFactors, cells float64) int {
	if !cpu.X86.HasAVX || len(c) < 4 {
		return 0
	}
	cellGradientsAVX(gradC, c, f, cells)
	return len(c) &^ 3
}
