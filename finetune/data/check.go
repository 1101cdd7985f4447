package data

import (
	"fmt"
	"strings"

	"github.com/elight-photonic/elight/onnxio"
)

// OutputShape returns the shape the images of d have after preprocessing
// with p, or an error naming the dataset and the setting that does not fit.
func (d *Dataset) OutputShape(p Preprocess) (Shape, error) {
	if d.Preprocessed {
		if !p.IsZero() {
			return Shape{}, fmt.Errorf("data %s is already preprocessed: --pad, --resize, --channels, --mean and --std do not apply", d.Spec)
		}
		return d.Shape, nil
	}
	out, err := p.Output(d.Shape)
	if err != nil {
		if d.sizes != "" && p.Resize == (Size{}) {
			return Shape{}, fmt.Errorf("data %s: the images differ in size (%s): add --resize HxW", d.Spec, d.sizes)
		}
		return Shape{}, fmt.Errorf("data %s: %w", d.Spec, err)
	}
	return out, nil
}

// CheckInput reports, before any image is read, whether the images of d
// preprocessed with p fit the model input in: a float tensor [batch, C, H,
// W] whose declared dimensions (those that are not symbolic) must match.
// The error says which preprocessing would make them fit, e.g.
//
//	idx:/data gives 1x28x28 images; the model's input "input" expects 3x32x32: add --pad 2 --channels 3
func (d *Dataset) CheckInput(p Preprocess, in onnxio.ValueInfo) error {
	out, err := d.OutputShape(p)
	if err != nil {
		return err
	}
	if in.DataType != onnxio.Float && in.DataType != 0 {
		return fmt.Errorf("the model's input %q is %v; elight feeds images as float32", in.Name, in.DataType)
	}
	if in.Shape == nil {
		return nil // undeclared: the forward pass checks the shape
	}
	if len(in.Shape) != 4 {
		return fmt.Errorf("the model's input %q has %d dimensions; images go to inputs [batch, C, H, W]", in.Name, len(in.Shape))
	}
	want := [3]int{}
	fits := true
	got := [3]int{out.C, out.H, out.W}
	for i, dim := range in.Shape[1:] {
		want[i] = -1
		if dim.Value > 0 {
			want[i] = int(dim.Value)
			fits = fits && got[i] == want[i]
		}
	}
	if fits {
		return nil
	}
	gives := d.Spec + " gives"
	if !p.IsZero() {
		gives = fmt.Sprintf("%s with %s gives", d.Spec, strings.Join(p.flags(), " "))
	}
	msg := fmt.Sprintf("%s %s images; the model's input %q expects %s", gives, out, in.Name, dims(want))
	if d.Preprocessed {
		return fmt.Errorf("%s: npy images are used as stored; write them with that shape", msg)
	}
	fix, ok := d.fitting(p, want)
	if !ok {
		return fmt.Errorf("%s: the images have %d channels and only a gray channel can be replicated", msg, d.Shape.C)
	}
	switch {
	case len(fix.flags()) == 0:
		return fmt.Errorf("%s: drop %s", msg, strings.Join(p.flags(), " "))
	case p.IsZero():
		return fmt.Errorf("%s: add %s", msg, strings.Join(fix.flags(), " "))
	}
	return fmt.Errorf("%s: use %s", msg, strings.Join(fix.flags(), " "))
}

// fitting returns p changed to give images of the wanted shape (-1 for a
// dimension that may be anything): the channels replicated, and padding
// that fits, or else a resize. It reports false when the channels cannot
// be mapped.
func (d *Dataset) fitting(p Preprocess, want [3]int) (Preprocess, bool) {
	if c := want[0]; c > 0 && c != d.Shape.C {
		if d.Shape.C != 1 {
			return p, false
		}
		p.Channels = c
	} else if c > 0 {
		p.Channels = 0
	}
	h, w := want[1], want[2]
	if h < 0 || w < 0 {
		// one side is free: keep it as preprocessing gives it
		out, _ := (Preprocess{Pad: p.Pad, Resize: p.Resize}).Output(d.Shape)
		if h < 0 {
			h = out.H
		}
		if w < 0 {
			w = out.W
		}
	}
	dh, dw := h-d.Shape.H, w-d.Shape.W
	if d.Shape.H > 0 && dh == dw && dh >= 0 && dh%2 == 0 {
		p.Pad, p.Resize = dh/2, Size{}
	} else {
		p.Resize = Size{h, w}
	}
	// mean and std with one value per channel may no longer fit
	if len(p.Mean) > 1 && len(p.Mean) != want[0] && want[0] > 0 {
		p.Mean = p.Mean[:1]
	}
	if len(p.Std) > 1 && len(p.Std) != want[0] && want[0] > 0 {
		p.Std = p.Std[:1]
	}
	return p, true
}

// flags writes p as elight's command-line flags.
func (p Preprocess) flags() []string {
	var f []string
	if p.Pad != 0 {
		f = append(f, fmt.Sprintf("--pad %d", p.Pad))
	}
	if p.Resize != (Size{}) {
		f = append(f, "--resize "+p.Resize.String())
	}
	if p.Channels != 0 {
		f = append(f, fmt.Sprintf("--channels %d", p.Channels))
	}
	if len(p.Mean) > 0 {
		f = append(f, "--mean "+joinFloats(p.Mean))
	}
	if len(p.Std) > 0 {
		f = append(f, "--std "+joinFloats(p.Std))
	}
	return f
}

func joinFloats(v []float32) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// dims formats wanted dimensions, ? for free ones.
func dims(want [3]int) string {
	s := make([]string, 3)
	for i, v := range want {
		s[i] = "?"
		if v > 0 {
			s[i] = fmt.Sprint(v)
		}
	}
	return strings.Join(s, "x")
}
