package data

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/elight-photonic/elight/onnxio/npy"
)

// openNpy reads preprocessed float images [N, C, H, W] and, when given,
// their integer labels [N].
func (d *Dataset) openNpy(paths string, opts Options) error {
	xPath, yPath, _ := strings.Cut(paths, ",")
	x, err := npy.ReadFile(xPath)
	if err != nil {
		return fmt.Errorf("data %s: %w", d.Spec, err)
	}
	if !x.IsFloat() {
		return fmt.Errorf("%s: images are %s; want float32 [N, C, H, W], already preprocessed", xPath, x.DType)
	}
	if len(x.Shape) != 4 {
		return fmt.Errorf("%s: images have shape %v; want float32 [N, C, H, W]", xPath, x.Shape)
	}
	for i, v := range x.Float {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s: element %d is %v; images must be finite", xPath, i, v)
		}
	}
	n := x.Shape[0]
	s := &store{source: xPath, n: n, shape: Shape{x.Shape[1], x.Shape[2], x.Shape[3]}, float: x.Float}
	if yPath != "" {
		y, err := npy.ReadFile(yPath)
		if err != nil {
			return fmt.Errorf("data %s: %w", d.Spec, err)
		}
		if y.IsFloat() || len(y.Shape) != 1 {
			return fmt.Errorf("%s: labels are %s %v; want integers [N]", yPath, y.DType, y.Shape)
		}
		if y.Shape[0] != n {
			return fmt.Errorf("%s has %d labels for the %d images of %s", yPath, y.Shape[0], n, xPath)
		}
		if n > 0 {
			if lo := slices.Min(y.Int); lo < 0 {
				i := slices.Index(y.Int, lo)
				return fmt.Errorf("%s: label %d of image %d is negative; labels are class indices", yPath, lo, i)
			}
			d.NumClasses = int(slices.Max(y.Int)) + 1
		}
		s.labels = y.Int
	}
	d.Shape = s.shape
	d.Preprocessed = true
	train, test := holdout(n, opts)
	d.load[Train] = func() (*Split, error) { return &Split{Name: Train, data: s, index: train}, nil }
	d.load[Test] = func() (*Split, error) { return &Split{Name: Test, data: s, index: test}, nil }
	d.load[All] = func() (*Split, error) { return &Split{Name: All, data: s}, nil }
	return nil
}
