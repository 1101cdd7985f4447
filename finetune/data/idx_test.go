package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/finetune/data/datatest"
)

// TestIdxRealFiles reads Fashion-MNIST and MNIST completely and compares
// them with values numpy computed from the same files (gzip.open +
// frombuffer): counts, labels, class histograms and pixel sums.
func TestIdxRealFiles(t *testing.T) {
	type split struct {
		n                 int
		firstLabel        int64
		lastLabel         int64
		sumFirst, sumLast int
		total             int
		counts            []int
	}
	for _, tc := range []struct {
		name        string
		dir         func(testing.TB) string
		train, test split
	}{
		{"fashion-mnist", datatest.FashionMNISTDir,
			split{60000, 9, 5, 76247, 16684, 3431114169, []int{6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000}},
			split{10000, 9, 5, 33456, 24390, 573469082, []int{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}}},
		{"mnist", datatest.MNISTDir,
			split{60000, 5, 8, 27525, 20920, 1567298545, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
			split{10000, 7, 6, 18454, 41833, 264923200, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Open("idx:"+tc.dir(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Shape != (Shape{1, 28, 28}) || d.NumClasses != 10 || !slices.Equal(d.Splits, []string{Test, Train}) {
				t.Fatalf("shape %v, %d classes, splits %v; want 1x28x28, 10, [test train]", d.Shape, d.NumClasses, d.Splits)
			}
			for name, want := range map[string]split{Train: tc.train, Test: tc.test} {
				s, err := d.Split(name)
				if err != nil {
					t.Fatal(err)
				}
				if s.Len() != want.n {
					t.Fatalf("%s: %d images, want %d", name, s.Len(), want.n)
				}
				counts := make([]int, 10)
				for _, l := range s.Labels() {
					counts[l]++
				}
				total := 0
				for _, v := range s.data.pix {
					total += int(v)
				}
				got := split{s.Len(), s.Label(0), s.Label(s.Len() - 1), sum(s.data.pixels(0)), sum(s.data.pixels(s.Len() - 1)), total, counts}
				if got.firstLabel != want.firstLabel || got.lastLabel != want.lastLabel || got.sumFirst != want.sumFirst ||
					got.sumLast != want.sumLast || got.total != want.total || !slices.Equal(got.counts, want.counts) {
					t.Errorf("%s: got %+v\nwant %+v", name, got, want)
				}
			}
		})
	}
}

func sum(pix []uint8) int {
	s := 0
	for _, v := range pix {
		s += int(v)
	}
	return s
}

// idxBytes encodes an idx array of unsigned bytes.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, idxUbyte, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// writeIdxSet writes a small idx dataset: n 2x3 images per split whose
// pixel j of image i is 10*i+j, and labels i%3. change may replace a file's
// bytes by name.
func writeIdxSet(t *testing.T, compress bool, change map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for _, prefix := range []string{"train", "t10k"} {
		n := 4
		pix := make([]byte, n*6)
		labels := make([]byte, n)
		for i := range n {
			labels[i] = byte(i % 3)
			for j := range 6 {
				pix[i*6+j] = byte(10*i + j)
			}
		}
		files := map[string][]byte{
			prefix + "-images-idx3-ubyte": idxBytes([]int{n, 2, 3}, pix),
			prefix + "-labels-idx1-ubyte": idxBytes([]int{n}, labels),
		}
		for name, data := range files {
			if c, ok := change[name]; ok {
				data = c
			}
			if compress {
				name, data = name+".gz", gz(data)
			}
			writeFile(t, dir, name, data)
		}
	}
	return dir
}

func TestIdxSmall(t *testing.T) {
	for _, compress := range []bool{false, true} {
		dir := writeIdxSet(t, compress, nil)
		d, err := Open("idx:"+dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Shape != (Shape{1, 2, 3}) || d.NumClasses != 3 {
			t.Fatalf("shape %v, %d classes; want 1x2x3, 3", d.Shape, d.NumClasses)
		}
		s, err := d.Split(Train)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.data.pixels(2), []uint8{20, 21, 22, 23, 24, 25}; !slices.Equal(got, want) {
			t.Errorf("image 2: %v, want %v", got, want)
		}
		if got, want := s.Labels(), []int64{0, 1, 2, 0}; !slices.Equal(got, want) {
			t.Errorf("labels %v, want %v", got, want)
		}
	}
}

// TestIdxMalformed checks that every kind of damaged idx file is reported
// with the file's name and what is wrong.
func TestIdxMalformed(t *testing.T) {
	good := idxBytes([]int{4, 2, 3}, make([]byte, 24))
	for _, tc := range []struct {
		name   string
		file   string
		data   []byte
		remove bool
		want   string // in the error, after the file name
	}{
		{"wrong magic", "t10k-images-idx3-ubyte", append([]byte{1, 2}, good[2:]...), false, "bad magic number 01 02 08 03"},
		{"float data", "t10k-images-idx3-ubyte", append([]byte{0, 0, 0x0d}, good[3:]...), false, "idx data type 0x0d is not supported"},
		{"labels as images", "t10k-images-idx3-ubyte", idxBytes([]int{4}, make([]byte, 4)), false, "idx array of 1 dimensions [4]; want images [N, H, W]"},
		{"truncated header", "train-images-idx3-ubyte", good[:9], false, "reading 3 dimensions: file truncated"},
		{"truncated magic", "train-labels-idx1-ubyte", good[:3], false, "reading the magic number: file truncated"},
		{"truncated labels", "train-labels-idx1-ubyte", idxBytes([]int{4}, make([]byte, 3)), false, "truncated: dimensions [4] need 4 data bytes, the file has 3"},
		{"extra bytes", "train-labels-idx1-ubyte", idxBytes([]int{4}, make([]byte, 5)), false, "more data than the dimensions [4] hold"},
		{"more labels than images", "t10k-labels-idx1-ubyte", idxBytes([]int{5}, make([]byte, 5)), false, "has 5 labels for the 4 images of"},
		{"different sizes", "t10k-images-idx3-ubyte", idxBytes([]int{4, 3, 2}, make([]byte, 24)), false, "holds 3x2 images, the train images are 2x3"},
		{"huge header", "t10k-images-idx3-ubyte", idxBytes([]int{1 << 20, 1 << 20, 1 << 20}, nil), false, "more than 2147483647 elements"},
		{"missing file", "train-labels-idx1-ubyte", nil, true, "has no train-labels-idx1-ubyte"},
	} {
		for _, compress := range []bool{false, true} {
			change := map[string][]byte{tc.file: tc.data}
			dir := writeIdxSet(t, compress, change)
			file := tc.file
			if compress {
				file += ".gz"
			}
			if tc.remove {
				removeFile(t, dir, file)
			}
			_, err := openAndRead(t, "idx:"+dir)
			if err == nil {
				t.Errorf("%s (gzip %v): no error", tc.name, compress)
				continue
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("%s (gzip %v): error %q does not name %s and say %q", tc.name, compress, err, dir, tc.want)
			}
		}
	}
}

func TestIdxTruncatedImagesAtSplit(t *testing.T) {
	// the header is read by Open, the data by Split
	dir := writeIdxSet(t, true, map[string][]byte{"t10k-images-idx3-ubyte": idxBytes([]int{4, 2, 3}, make([]byte, 20))})
	d, err := Open("idx:"+dir, Options{})
	if err != nil {
		t.Fatalf("Open reads only headers, yet: %v", err)
	}
	if _, err := d.Split(Train); err != nil {
		t.Fatal(err)
	}
	_, err = d.Split(Test)
	if err == nil || !strings.Contains(err.Error(), "t10k-images-idx3-ubyte.gz: truncated: dimensions [4 2 3] need 24 data bytes, the file has 20") {
		t.Fatalf("error %v", err)
	}
}

// openAndRead opens spec and reads all its splits.
func openAndRead(t *testing.T, spec string) (*Dataset, error) {
	t.Helper()
	d, err := Open(spec, Options{})
	if err != nil {
		return nil, err
	}
	for _, name := range d.Splits {
		if _, err := d.Split(name); err != nil {
			return nil, err
		}
	}
	return d, nil
}
