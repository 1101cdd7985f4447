//go:build !purego

package quantize

import "golang.org/x/sys/cpu"

// gradientsAVX computes Gradients for the first len(w) &^ 3 weights,
// four at a time (gradients_amd64.s).
//
//go:noescape
func gradientsAVX(dw, dalpha []float64, w []float32, c *gradientConstants)

// gradientsVector computes Gradients for as many leading weights as the
// vector code handles and returns how many.
func gradientsVector(dw, dalpha []float64, w []float32, c *gradientConstants) int {
	if !cpu.X86.HasAVX || len(w) < 4 {
		return 0
	}
	gradientsAVX(dw, dalpha, w, c)
	return len(w) &^ 3
}
