//go:build !amd64 || purego

package quantize

// hasLevelCounter is false where there is no vector code: QuantizeRow
// takes every weight's own path.
const hasLevelCounter = false

func countLevels(levels []int16, w []float32, thresholds []float32) int { return 0 }
