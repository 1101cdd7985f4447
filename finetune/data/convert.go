package data

import "math"

// converter turns stored images into preprocessed float32 images. It is
// made for a validated Preprocess.
type converter struct {
	p         Preprocess
	out       Shape
	mean, std []float32 // per output channel
	// lut[c][v] is pixel value v normalized for output channel c, used
	// when the image is not resized and its pixels stay integers.
	lut [][256]float32
}

func newConverter(p Preprocess, out Shape) *converter {
	cv := &converter{p: p, out: out, mean: perChannel(p.Mean, out.C, 0), std: perChannel(p.Std, out.C, 1)}
	cv.lut = make([][256]float32, out.C)
	for c := range cv.lut {
		for v := range 256 {
			cv.lut[c][v] = cv.normalize(c, float32(v))
		}
	}
	return cv
}

// normalize maps a pixel value of output channel c as the package
// documentation states, in float32.
func (cv *converter) normalize(c int, v float32) float32 {
	return (v/255 - cv.mean[c]) / cv.std[c]
}

// convert writes the preprocessed image of the uint8 image pix of shape in
// to dst, which holds cv.out.size() values.
func (cv *converter) convert(dst []float32, pix []uint8, in Shape) {
	if cv.p.Resize != (Size{}) {
		cv.resize(dst, pix, in)
		return
	}
	pad, oh, ow := cv.p.Pad, cv.out.H, cv.out.W
	for c := range cv.out.C {
		src := pix[srcChannel(c, in.C)*in.H*in.W:]
		lut := &cv.lut[c]
		plane := dst[c*oh*ow : (c+1)*oh*ow]
		for y := range oh {
			row := plane[y*ow : (y+1)*ow]
			sy := y - pad
			if sy < 0 || sy >= in.H {
				fill(row, lut[0])
				continue
			}
			fill(row[:pad], lut[0])
			for x, v := range src[sy*in.W : (sy+1)*in.W] {
				row[pad+x] = lut[v]
			}
			fill(row[pad+in.W:], lut[0])
		}
	}
}

// srcChannel is the stored channel that output channel c comes from: itself,
// or the only one of a gray image.
func srcChannel(c, inC int) int {
	if inC == 1 {
		return 0
	}
	return c
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

// resize writes the padded image, resized bilinearly, to dst. Sampling is
// that of PyTorch's interpolate(mode="bilinear", align_corners=False)
// without antialiasing: output pixel i samples input position
// (i+0.5)*in/out - 0.5, clamped at 0, between its two nearest pixels.
func (cv *converter) resize(dst []float32, pix []uint8, in Shape) {
	pad := cv.p.Pad
	ph, pw := in.H+2*pad, in.W+2*pad
	ys, xs := taps(ph, cv.out.H), taps(pw, cv.out.W)
	// at returns padded pixel (y, x) of stored channel sc.
	at := func(sc, y, x int) float64 {
		y, x = y-pad, x-pad
		if y < 0 || y >= in.H || x < 0 || x >= in.W {
			return 0
		}
		return float64(pix[(sc*in.H+y)*in.W+x])
	}
	for c := range cv.out.C {
		sc := srcChannel(c, in.C)
		plane := dst[c*cv.out.H*cv.out.W:]
		for oy, ty := range ys {
			for ox, tx := range xs {
				top := at(sc, ty.i0, tx.i0)*(1-tx.f) + at(sc, ty.i0, tx.i1)*tx.f
				bottom := at(sc, ty.i1, tx.i0)*(1-tx.f) + at(sc, ty.i1, tx.i1)*tx.f
				v := top*(1-ty.f) + bottom*ty.f
				plane[oy*cv.out.W+ox] = cv.normalize(c, float32(v))
			}
		}
	}
}

// tap is where one output pixel samples along one axis: between input
// pixels i0 and i1, with weight f on i1.
type tap struct {
	i0, i1 int
	f      float64
}

// taps returns the sampling positions of n output pixels from in input
// pixels.
func taps(in, n int) []tap {
	out := make([]tap, n)
	scale := float64(in) / float64(n)
	for i := range out {
		src := max((float64(i)+0.5)*scale-0.5, 0)
		i0 := min(int(math.Floor(src)), in-1)
		i1 := min(i0+1, in-1)
		out[i] = tap{i0: i0, i1: i1, f: src - float64(i0)}
	}
	return out
}
