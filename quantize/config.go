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
	// Headroom multiplies the scale: alpha = Headroom * max|w|. 0 and 1
	// are the reference's alpha = max|w|. Above 1 the largest weights no
	// longer reach the top transmission level, so every weight sits some
	// levels lower and reprogramming a cell takes fewer writes; the price is
	// that the weights use fewer of the L levels.
	Headroom float64
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
	if c.Headroom != 0 && !(c.Headroom >= 1 && c.Headroom <= MaxHeadroom) {
		return fmt.Errorf("quantize: scale headroom %v outside [1, %d]", c.Headroom, MaxHeadroom)
	}
	return nil
}

// MaxHeadroom bounds Config.Headroom, to catch mistyped values: with the
// default 4 bits and PCM loss, a headroom above about 93 already puts every
// weight at level 0.
const MaxHeadroom = 256

// ScaleFactor is alpha / max|w|: Headroom, or 1 when Headroom is unset.
func (c Config) ScaleFactor() float64 {
	if c.Headroom == 0 {
		return 1
	}
	return c.Headroom
}

// MaxLevel is L-1 = 2^Bits - 1, the largest magnitude level.
func (c Config) MaxLevel() int { return 1<<c.Bits - 1 }

// Beta is the transmission kept by one level, 1 - PCMLoss.
func (c Config) Beta() float64 { return 1 - c.PCMLoss }
