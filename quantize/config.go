package quantize

import "fmt"

// MaxBits is the widest level count a Config may ask for: signed levels of 8
// bits span [-255, 255], which is what Levels' int16 storage is sized for.
const MaxBits = 8

// DefaultPCMLoss is the fraction of light one PCM level removes in the
// reference (ELight's loss_factor).
const DefaultPCMLoss = 0.128

// Config selects a logarithmic quantization.
type Config struct {
	// Bits gives L = 2^Bits levels per array, 1 <= Bits <= MaxBits.
	Bits int
	// PCMLoss is the fraction of light one level removes, in (0, 1).
	PCMLoss float64
	// PerRow scales each row of the [Rows, Cols] weight matrix by its own
	// maximum magnitude instead of using one scale for the whole tensor.
	PerRow bool
}

// Validate reports whether c describes a quantization Quantize can do.
func (c Config) Validate() error {
	if c.Bits < 1 || c.Bits > MaxBits {
		return fmt.Errorf("quantize: bits %d outside 1..%d", c.Bits, MaxBits)
	}
	// NaN fails both comparisons, so it is rejected too.
	if !(c.PCMLoss > 0 && c.PCMLoss < 1) {
		return fmt.Errorf("quantize: pcm loss %v outside (0, 1)", c.PCMLoss)
	}
	return nil
}

// MaxLevel is L-1 = 2^Bits - 1, the largest magnitude level.
func (c Config) MaxLevel() int { return 1<<c.Bits - 1 }

// Beta is the transmission kept by one level, 1 - PCMLoss.
func (c Config) Beta() float64 { return 1 - c.PCMLoss }
