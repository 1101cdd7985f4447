package data

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cifarRecord builds one record of the published binary format: the label
// bytes, then the red, green and blue planes of a 32x32 image, each row
// by row. Pixel (c, y, x) of image id is (id + 7c + 3y + x) mod 256.
func cifarRecord(id int, labels ...byte) []byte {
	rec := append([]byte(nil), labels...)
	for c := range 3 {
		for y := range 32 {
			for x := range 32 {
				rec = append(rec, byte(id+7*c+3*y+x))
			}
		}
	}
	return rec
}

// writeCIFAR10 writes the six CIFAR-10 batch files into dir/sub, with
// perBatch records each; image ids count up over the batches in file
// order, label = id mod 10.
func writeCIFAR10(t *testing.T, dir string, perBatch int) {
	files := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"}
	id := 0
	for _, name := range files {
		var b []byte
		for range perBatch {
			b = append(b, cifarRecord(id, byte(id%10))...)
			id++
		}
		writeFile(t, dir, name, b)
	}
}

func TestCIFAR10(t *testing.T) {
	root := t.TempDir()
	writeCIFAR10(t, filepath.Join(root, "cifar-10-batches-bin"), 3)
	for _, spec := range []string{"cifar10:" + root, "cifar10:" + filepath.Join(root, "cifar-10-batches-bin")} {
		d, err := Open(spec, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Shape != (Shape{3, 32, 32}) || d.NumClasses != 10 || d.Classes[0] != "airplane" || d.Classes[9] != "truck" {
			t.Fatalf("%s: shape %v, %d classes %v", spec, d.Shape, d.NumClasses, d.Classes)
		}
		for _, tc := range []struct {
			split string
			ids   []int
		}{{Train, seq(15)}, {Test, []int{15, 16, 17}}} {
			s, err := d.Split(tc.split)
			if err != nil {
				t.Fatal(err)
			}
			l, err := NewLoader(s, Preprocess{})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int
			for b := range l.Batches(4) {
				for k := range b.Len() {
					id := tc.ids[b.Index[k]]
					ids = append(ids, id)
					if b.Labels[k] != int64(id%10) {
						t.Fatalf("%s image %d: label %d, want %d", tc.split, id, b.Labels[k], id%10)
					}
					for _, at := range [][3]int{{0, 0, 0}, {0, 31, 5}, {1, 2, 3}, {2, 31, 31}} {
						c, y, x := at[0], at[1], at[2]
						got := b.X[k*3072+c*1024+y*32+x]
						want := float32(byte(id+7*c+3*y+x)) / 255
						if got != want {
							t.Fatalf("%s image %d pixel %v: %v, want %v", tc.split, id, at, got, want)
						}
					}
				}
			}
			if !slices.Equal(ids, tc.ids) {
				t.Fatalf("%s: images %v, want %v", tc.split, ids, tc.ids)
			}
		}
	}
}

func TestCIFAR100(t *testing.T) {
	dir := t.TempDir()
	var train, test []byte
	for id := range 5 {
		train = append(train, cifarRecord(id, byte(id%20), byte(99-id))...)
	}
	test = cifarRecord(50, 19, 42)
	writeFile(t, dir, "cifar-100-binary/train.bin", train)
	writeFile(t, dir, "cifar-100-binary/test.bin", test)
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("class%d", i)
	}
	writeFile(t, dir, "cifar-100-binary/fine_label_names.txt", []byte(strings.Join(names, "\n")+"\n"))
	d, err := Open("cifar100:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.NumClasses != 100 || len(d.Classes) != 100 || d.Classes[42] != "class42" {
		t.Fatalf("%d classes %v", d.NumClasses, d.Classes)
	}
	s, err := d.Split(Train)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Labels(), []int64{99, 98, 97, 96, 95}; !slices.Equal(got, want) {
		t.Errorf("train labels %v, want the fine labels %v", got, want)
	}
	if got, want := s.data.pixels(3)[1024+33], byte(3+7+3+1); got != want {
		t.Errorf("image 3 green (1, 1): %d, want %d", got, want)
	}
	s, err = d.Split(Test)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 1 || s.Label(0) != 42 {
		t.Errorf("test: %d images, label %d; want 1, 42", s.Len(), s.Label(0))
	}
}

// TestCIFARMalformed checks damaged batch files: each error names the file
// and the problem.
func TestCIFARMalformed(t *testing.T) {
	rec := cifarRecord(0, 3)
	for _, tc := range []struct {
		name   string
		format string
		file   string
		data   []byte // nil: remove the file
		want   string
	}{
		{"truncated", "cifar10", "data_batch_2.bin", append(rec, rec[:100]...), "3173 bytes is not a whole number of 3073-byte cifar10 records"},
		{"label 10", "cifar10", "test_batch.bin", append(rec, cifarRecord(1, 10)...), "record 1 has label 10, outside 0..9"},
		{"empty", "cifar10", "data_batch_5.bin", []byte{}, "empty file"},
		{"missing", "cifar10", "data_batch_3.bin", nil, "data_batch_3.bin: no such file"},
		{"cifar100 fine 100", "cifar100", "train.bin", cifarRecord(0, 1, 100), "record 0 has label 100, outside 0..99"},
		{"cifar100 coarse 20", "cifar100", "test.bin", cifarRecord(0, 20, 5), "record 0 has coarse label 20, outside 0..19"},
		{"cifar10 file as cifar100", "cifar100", "test.bin", append(rec, rec...), "6146 bytes is not a whole number of 3074-byte cifar100 records"},
	} {
		dir := t.TempDir()
		if tc.format == "cifar10" {
			writeCIFAR10(t, dir, 2)
		} else {
			writeFile(t, dir, "train.bin", cifarRecord(0, 1, 2))
			writeFile(t, dir, "test.bin", cifarRecord(0, 1, 2))
		}
		if tc.data == nil {
			removeFile(t, dir, tc.file)
		} else {
			writeFile(t, dir, tc.file, tc.data)
		}
		_, err := openAndRead(t, tc.format+":"+dir)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, tc.file)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want it to name %s and say %q", tc.name, err, tc.file, tc.want)
		}
	}
}

// TestCIFAR10Normalized checks per-channel normalization on color images
// against values computed in float64 and rounded.
func TestCIFAR10Normalized(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir, 1)
	d, err := Open("cifar10:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Split(Test)
	if err != nil {
		t.Fatal(err)
	}
	mean, std := []float32{0.4914, 0.4822, 0.4465}, []float32{0.247, 0.243, 0.261}
	l, err := NewLoader(s, Preprocess{Mean: mean, Std: std})
	if err != nil {
		t.Fatal(err)
	}
	for b := range l.Batches(1) {
		for c := range 3 {
			for _, i := range []int{0, 100, 1023} {
				p := float64(byte(5 + 7*c + 3*(i/32) + i%32))
				want := (p/255 - float64(mean[c])) / float64(std[c])
				if got := float64(b.X[c*1024+i]); math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
					t.Errorf("channel %d pixel %d: %v, want %v", c, i, got, want)
				}
			}
		}
	}
}
