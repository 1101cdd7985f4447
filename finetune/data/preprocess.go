package data

import (
	"errors"
	"fmt"
	"math"
)

// Preprocess says how stored images become a model's input. The steps run
// in this order: pad the uint8 image with Pad zeros on every side, resize it
// bilinearly to Resize, scale pixels to [0, 1] by dividing by 255, replicate
// a gray channel to Channels, and normalize channel c as
// (x - Mean[c]) / Std[c], all in float32. The zero Preprocess only scales
// pixels to [0, 1].
type Preprocess struct {
	// Pad is the number of zero pixels added on every side.
	Pad int
	// Resize is the image size after padding; the zero Size keeps it.
	Resize Size
	// Channels is the number of channels of the result; 0 keeps the
	// stored number. Gray images can be replicated to any number of
	// channels; color images keep theirs.
	Channels int
	// Mean and Std normalize each channel: one value for every channel, or
	// one per channel of the result; empty means mean 0 and std 1.
	Mean, Std []float32
}

// Size is the height and width of an image.
type Size struct {
	H, W int
}

// String formats s as HxW, e.g. 32x32, the form of elight's --resize flag.
func (s Size) String() string { return fmt.Sprintf("%dx%d", s.H, s.W) }

// maxSide bounds padded and resized image sides, against typing mistakes
// that would ask for gigabytes.
const maxSide = 1 << 14

// IsZero reports whether p changes nothing but the scaling of pixels, as
// npy data, which is already preprocessed, requires.
func (p Preprocess) IsZero() bool {
	return p.Pad == 0 && p.Resize == (Size{}) && p.Channels == 0 && len(p.Mean) == 0 && len(p.Std) == 0
}

// Output returns the shape of an image of shape in after preprocessing, or
// an error saying which setting does not fit it. An in with H and W 0
// (images of differing sizes) needs a Resize.
func (p Preprocess) Output(in Shape) (Shape, error) {
	if p.Pad < 0 || p.Pad > maxSide {
		return Shape{}, fmt.Errorf("--pad %d: want 0 to %d pixels", p.Pad, maxSide)
	}
	if r := p.Resize; r != (Size{}) && (r.H < 1 || r.W < 1 || r.H > maxSide || r.W > maxSide) {
		return Shape{}, fmt.Errorf("--resize %s: want sides of 1 to %d pixels", r, maxSide)
	}
	out := in
	out.H, out.W = in.H+2*p.Pad, in.W+2*p.Pad
	if p.Resize != (Size{}) {
		out.H, out.W = p.Resize.H, p.Resize.W
	} else if in.H == 0 || in.W == 0 {
		return Shape{}, errors.New("the images differ in size: add --resize HxW")
	}
	if p.Channels < 0 {
		return Shape{}, fmt.Errorf("--channels %d: want a positive number", p.Channels)
	}
	if p.Channels > 0 && p.Channels != in.C {
		if in.C != 1 {
			return Shape{}, fmt.Errorf("--channels %d: the images have %d channels, and only a gray channel can be replicated", p.Channels, in.C)
		}
		out.C = p.Channels
	}
	if err := checkStats("mean", p.Mean, out.C, false); err != nil {
		return Shape{}, err
	}
	if err := checkStats("std", p.Std, out.C, true); err != nil {
		return Shape{}, err
	}
	return out, nil
}

// checkStats checks a Mean or Std list against the channel count.
func checkStats(flag string, v []float32, channels int, positive bool) error {
	if len(v) > 1 && len(v) != channels {
		return fmt.Errorf("--%s has %d values for %d channels; give one value, or one per channel", flag, len(v), channels)
	}
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || (positive && !(x > 0)) {
			want := "finite"
			if positive {
				want = "positive and finite"
			}
			return fmt.Errorf("--%s %v: values must be %s", flag, x, want)
		}
	}
	return nil
}

// perChannel expands a Mean or Std list to one value per channel.
func perChannel(v []float32, channels int, def float32) []float32 {
	out := make([]float32, channels)
	for c := range out {
		switch len(v) {
		case 0:
			out[c] = def
		case 1:
			out[c] = v[0]
		default:
			out[c] = v[c]
		}
	}
	return out
}
