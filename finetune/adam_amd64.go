//go:build !purego

package finetune

import "golang.org/x/sys/cpu"

// adamAVX computes adamUpdate for the first len(p) &^ 7 weights, eight at
// a time (adam_amd64.s).
//
//go:noescape
func adamAVX(p, m, v, g []float32, c *adamConstants)

// adamVector computes adamUpdate for as many leading weights as the vector
// code handles and returns how many.
func adamVector(p, m, v, g []float32, c *adamConstants) int {
	if !cpu.X86.HasAVX || len(p) < 8 {
		return 0
	}
	adamAVX(p, m, v, g, c)
	return len(p) &^ 7
}
