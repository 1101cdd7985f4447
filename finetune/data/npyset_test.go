package data

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/onnxio/npy"
)

func TestNpy(t *testing.T) {
	dir := t.TempDir()
	x := make([]float32, 5*2*1*3)
	for i := range x {
		x[i] = float32(i) - 0.5
	}
	xPath, yPath := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	if err := npy.WriteFloat32File(xPath, []int{5, 2, 1, 3}, x); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteInt64File(yPath, []int{5}, []int64{3, 0, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	d, err := Open("npy:"+xPath+","+yPath, Options{Holdout: 0.4, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if d.Shape != (Shape{2, 1, 3}) || d.NumClasses != 4 || !d.Preprocessed {
		t.Fatalf("shape %v, %d classes, preprocessed %v", d.Shape, d.NumClasses, d.Preprocessed)
	}
	all, err := d.Split(All)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLoader(all, Preprocess{})
	if err != nil {
		t.Fatal(err)
	}
	var got []float32
	var labels []int64
	for b := range l.Batches(2) {
		got = append(got, b.X...)
		labels = append(labels, b.Labels...)
	}
	if !slices.Equal(got, x) || !slices.Equal(labels, []int64{3, 0, 1, 2, 3}) {
		t.Fatalf("images %v labels %v; want the files' %v", got, labels, x)
	}
	test, _ := d.Split(Test)
	train, _ := d.Split(Train)
	if test.Len() != 2 || train.Len() != 3 {
		t.Fatalf("%d test and %d train images; want 2 and 3", test.Len(), train.Len())
	}
	if _, err := NewLoader(test, Preprocess{Pad: 2}); err == nil || !strings.Contains(err.Error(), "already preprocessed") {
		t.Fatalf("--pad on npy data: %v", err)
	}
	// without labels
	d, err = Open("npy:"+xPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	all, _ = d.Split(All)
	if all.Labeled() || d.NumClasses != 0 {
		t.Fatalf("unlabeled data: labeled %v, %d classes", all.Labeled(), d.NumClasses)
	}
}

func TestNpyErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, shape []int, f []float32, i []int64) string {
		path := filepath.Join(dir, name)
		var err error
		if f != nil {
			err = npy.WriteFloat32File(path, shape, f)
		} else {
			err = npy.WriteInt64File(path, shape, i)
		}
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	x := write("x.npy", []int{2, 1, 1, 1}, []float32{0, 1}, nil)
	x3 := write("x3.npy", []int{2, 1, 1}, []float32{0, 1}, nil)
	xi := write("xi.npy", []int{2, 1, 1, 1}, nil, []int64{0, 1})
	xnan := write("xnan.npy", []int{2, 1, 1, 1}, []float32{0, float32FromBits(0x7fc00000)}, nil)
	y3 := write("y3.npy", []int{3}, nil, []int64{0, 1, 2})
	yneg := write("yneg.npy", []int{2}, nil, []int64{0, -1})
	yf := write("yf.npy", []int{2}, []float32{0, 1}, nil)
	for _, tc := range []struct{ spec, want string }{
		{"npy:" + x3, x3 + ": images have shape [2 1 1]; want float32 [N, C, H, W]"},
		{"npy:" + xi, xi + ": images are <i8"},
		{"npy:" + xnan, xnan + ": element 1 is NaN"},
		{"npy:" + x + "," + y3, y3 + " has 3 labels for the 2 images of " + x},
		{"npy:" + x + "," + yneg, yneg + ": label -1 of image 1 is negative"},
		{"npy:" + x + "," + yf, yf + ": labels are <f4 [2]; want integers [N]"},
		{"npy:" + filepath.Join(dir, "none.npy"), "none.npy: no such file"},
	} {
		if _, err := Open(tc.spec, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.spec, err, tc.want)
		}
	}
}
