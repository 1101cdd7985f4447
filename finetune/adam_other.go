//go:build !amd64 || purego

package finetune

// adamVector handles no weights where there is no vector code: adamUpdate
// updates them all one at a time.
func adamVector(p, m, v, g []float32, c *adamConstants) int { return 0 }
