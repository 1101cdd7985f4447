//go:build !amd64 || purego

package quantize

// gradientsVector handles no weights where there is no vector code:
// Gradients computes them all one at a time.
func gradientsVector(dw, dalpha []float64, w []float32, c *gradientConstants) int { return 0 }
