package data

import (
	"math"
	"strings"
	"testing"
)

// convertOne preprocesses one uint8 image of shape in.
func convertOne(t *testing.T, p Preprocess, in Shape, pix []uint8) ([]float32, Shape) {
	t.Helper()
	out, err := p.Output(in)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, out.size())
	newConverter(p, out).convert(dst, pix, in)
	return dst, out
}

// TestResizeMatchesTorch compares bilinear resizing with
// torch.nn.functional.interpolate(mode="bilinear", align_corners=False) on
// the same pixels (values printed by torch 1.13, divided by 255 here).
func TestResizeMatchesTorch(t *testing.T) {
	ramp := make([]uint8, 12)
	for i := range ramp {
		ramp[i] = uint8(20 * i)
	}
	for _, tc := range []struct {
		name  string
		in    Shape
		pix   []uint8
		size  Size
		torch []float64
	}{
		{"2x2 to 4x4", Shape{1, 2, 2}, []uint8{0, 100, 200, 255}, Size{4, 4},
			[]float64{0.0, 25.0, 75.0, 100.0, 50.0, 72.1875, 116.5625, 138.75, 150.0, 166.5625, 199.6875, 216.25, 200.0, 213.75, 241.25, 255.0}},
		{"3x4 to 2x3", Shape{1, 3, 4}, ramp, Size{2, 3},
			[]float64{23.33333396911621, 50.0, 76.66666412353516, 143.33334350585938, 170.0, 196.6666717529297}},
		{"3x4 to 5x7", Shape{1, 3, 4}, ramp, Size{5, 7},
			[]float64{0.0, 7.142858028411865, 18.571430206298828, 30.000001907348633, 41.42857360839844, 52.857147216796875, 60.0,
				32.000003814697266, 39.14285659790039, 50.57143020629883, 62.000003814697266, 73.42858123779297, 84.85714721679688, 92.00000762939453,
				80.00000762939453, 87.14286041259766, 98.5714340209961, 110.0, 121.42858123779297, 132.85714721679688, 140.0,
				128.0, 135.14285278320312, 146.57144165039062, 158.00001525878906, 169.42857360839844, 180.85714721679688, 188.00001525878906,
				160.0, 167.14285278320312, 178.57144165039062, 190.0, 201.42857360839844, 212.85714721679688, 220.0}},
	} {
		got, out := convertOne(t, Preprocess{Resize: tc.size}, tc.in, tc.pix)
		if out != (Shape{1, tc.size.H, tc.size.W}) {
			t.Fatalf("%s: shape %v", tc.name, out)
		}
		for i, want := range tc.torch {
			if math.Abs(float64(got[i])-want/255) > 1e-6 {
				t.Errorf("%s: pixel %d: %v, torch %v", tc.name, i, got[i]*255, want)
			}
		}
	}
}

// TestPadChannels checks padding, channel replication and normalization
// against values written out by hand.
func TestPadChannels(t *testing.T) {
	pix := []uint8{51, 102, 153, 255} // 2x2 gray
	mean, std := []float32{0.5, 0, 0.25}, []float32{0.5, 1, 2}
	got, out := convertOne(t, Preprocess{Pad: 1, Channels: 3, Mean: mean, Std: std}, Shape{1, 2, 2}, pix)
	if out != (Shape{3, 4, 4}) {
		t.Fatalf("shape %v, want 3x4x4", out)
	}
	for c := range 3 {
		n := func(p float32) float32 { return (p/255 - mean[c]) / std[c] }
		z := n(0)
		want := []float32{
			z, z, z, z,
			z, n(51), n(102), z,
			z, n(153), n(255), z,
			z, z, z, z,
		}
		for i, w := range want {
			if got[c*16+i] != w {
				t.Errorf("channel %d pixel %d: %v, want %v", c, i, got[c*16+i], w)
			}
		}
	}
	// padding before resizing: a padded 2x2 image halved averages 2x2 blocks
	got, _ = convertOne(t, Preprocess{Pad: 1, Resize: Size{2, 2}}, Shape{1, 2, 2}, pix)
	for i, w := range []float32{51. / 4, 102. / 4, 153. / 4, 255. / 4} {
		if math.Abs(float64(got[i]-w/255)) > 1e-7 {
			t.Errorf("pad 1, resize 2x2: pixel %d: %v, want %v", i, got[i]*255, w)
		}
	}
}

func TestPreprocessOutputErrors(t *testing.T) {
	gray, rgb := Shape{1, 28, 28}, Shape{3, 32, 32}
	for _, tc := range []struct {
		p    Preprocess
		in   Shape
		want string
	}{
		{Preprocess{Pad: -1}, gray, "--pad -1"},
		{Preprocess{Resize: Size{0, 5}}, gray, "--resize 0x5"},
		{Preprocess{Channels: 1}, rgb, "--channels 1: the images have 3 channels, and only a gray channel can be replicated"},
		{Preprocess{Channels: -3}, gray, "--channels -3"},
		{Preprocess{Channels: 3, Mean: []float32{1, 2}}, gray, "--mean has 2 values for 3 channels"},
		{Preprocess{Std: []float32{0}}, gray, "--std 0: values must be positive and finite"},
		{Preprocess{Mean: []float32{float32(math.Inf(1))}}, gray, "--mean +Inf: values must be finite"},
		{Preprocess{}, Shape{C: 3}, "the images differ in size: add --resize HxW"},
	} {
		if _, err := tc.p.Output(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v on %v: error %v, want %q", tc.p, tc.in, err, tc.want)
		}
	}
	for _, tc := range []struct {
		p    Preprocess
		in   Shape
		want Shape
	}{
		{Preprocess{}, gray, gray},
		{Preprocess{Pad: 2, Channels: 3, Mean: []float32{0.1}, Std: []float32{0.3}}, gray, Shape{3, 32, 32}},
		{Preprocess{Channels: 3, Mean: []float32{0.1, 0.2, 0.3}}, rgb, rgb},
		{Preprocess{Pad: 4, Resize: Size{224, 112}}, rgb, Shape{3, 224, 112}},
	} {
		if got, err := tc.p.Output(tc.in); err != nil || got != tc.want {
			t.Errorf("%+v on %v: %v, %v; want %v", tc.p, tc.in, got, err, tc.want)
		}
	}
}
