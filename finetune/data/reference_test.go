package data

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/elight-photonic/elight/finetune/data/datatest"
	"github.com/elight-photonic/elight/onnxio/npy"
)

// TestReproducesTestdataInputs checks that loading the first 33 test images
// with the preprocessing recorded in testdata/<model>/meta.json, in batches
// of 32, reproduces bit for bit the tensors torch fed the models: input.npy
// (images 0..31) and input1.npy (image 32), with labels.npy and labels1.npy.
func TestReproducesTestdataInputs(t *testing.T) {
	for _, tc := range []struct {
		model string
		dir   func(testing.TB) string
	}{
		{"vgg8", datatest.FashionMNISTDir},
		{"resnet", datatest.MNISTDir},
	} {
		t.Run(tc.model, func(t *testing.T) {
			m := datatest.ReadMeta(t, "../..", tc.model)
			p := Preprocess{Pad: m.Preprocessing.Padding, Channels: m.Preprocessing.Input[0],
				Mean: float32s(m.Preprocessing.Mean), Std: float32s(m.Preprocessing.Std)}
			d, err := Open("idx:"+tc.dir(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			test, err := d.Split(Test)
			if err != nil {
				t.Fatal(err)
			}
			l, err := NewLoader(test.First(33), p)
			if err != nil {
				t.Fatal(err)
			}
			if l.Shape() != (Shape{3, 32, 32}) || l.Len() != 33 {
				t.Fatalf("loader of %d images of shape %v; want 33 of 3x32x32", l.Len(), l.Shape())
			}
			refs := []string{"", "1"}
			batches := 0
			for b := range l.Batches(32) {
				if batches >= len(refs) {
					t.Fatalf("more than %d batches", len(refs))
				}
				wantX := readNpy(t, filepath.Join("../../testdata", tc.model, "input"+refs[batches]+".npy"))
				wantY := readNpy(t, filepath.Join("../../testdata", tc.model, "labels"+refs[batches]+".npy"))
				batches++
				dims := b.Tensor("input").Dims
				if !slices.Equal(dims, []int64{int64(wantX.Shape[0]), 3, 32, 32}) {
					t.Fatalf("batch dims %v, the reference has %v", dims, wantX.Shape)
				}
				for i, x := range b.X {
					if math.Float32bits(x) != math.Float32bits(wantX.Float[i]) {
						t.Fatalf("element %d (image %d): %v (%#08x), the reference has %v (%#08x)",
							i, i/3072, x, math.Float32bits(x), wantX.Float[i], math.Float32bits(wantX.Float[i]))
					}
				}
				if !slices.Equal(b.Labels, wantY.Int) {
					t.Fatalf("labels %v, the reference has %v", b.Labels, wantY.Int)
				}
			}
			if batches != len(refs) {
				t.Fatalf("%d batches, want %d", batches, len(refs))
			}
		})
	}
}

func readNpy(t testing.TB, path string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
