package data

import (
	"bytes"
	"image"
	"image/png"
	"path/filepath"
	"testing"
)

// FuzzParseIdx checks that parseIdx never panics or over-allocates, and that
// what it accepts is consistent: the data fills the dimensions exactly and
// re-encoding gives the input back. The seeds are in testdata/fuzz/FuzzParseIdx.
func FuzzParseIdx(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := parseIdx(bytes.NewReader(data), false)
		if err != nil {
			return
		}
		size := 1
		for _, d := range a.dims {
			size *= d
		}
		if len(a.data) != size {
			t.Fatalf("dims %v hold %d bytes, data has %d", a.dims, size, len(a.data))
		}
		if again := idxBytes(a.dims, a.data); !bytes.Equal(again, data) {
			t.Fatalf("re-encoded %x, input %x", again, data)
		}
		h, err := parseIdx(bytes.NewReader(data), true)
		if err != nil || len(h.dims) != len(a.dims) {
			t.Fatalf("header only: %v, %v; full parse gave %v", h, err, a.dims)
		}
	})
}

// FuzzCIFARDecode: any bytes are records of both CIFAR versions or an
// error naming the file, never a panic; what decodes holds one label and
// 3 x 32 x 32 pixels a record, its labels in range.
func FuzzCIFARDecode(f *testing.F) {
	rec := make([]byte, 1+cifarPixels)
	rec[0] = 9
	f.Add(rec)
	f.Add(append([]byte{3, 77}, make([]byte, cifarPixels)...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []*cifarFormat{cifar10, cifar100} {
			s := &store{shape: Shape{3, 32, 32}}
			if err := format.decode(s, data, "batch.bin"); err != nil {
				if !bytes.Contains([]byte(err.Error()), []byte("batch.bin")) {
					t.Fatalf("%s: error %q does not name the file", format.name, err)
				}
				continue
			}
			if s.n != len(s.labels) || len(s.pix) != s.n*cifarPixels {
				t.Fatalf("%s: %d records, %d labels, %d pixels", format.name, s.n, len(s.labels), len(s.pix))
			}
			for _, l := range s.labels {
				if l < 0 || l >= int64(format.classes) {
					t.Fatalf("%s: label %d accepted", format.name, l)
				}
			}
		}
	})
}

// FuzzImages: any bytes as the one image of an images:DIR dataset are read
// or refused with an error, never a panic or an allocation the header
// alone asks for; what is read holds the pixels its shape says.
func FuzzImages(f *testing.F) {
	var seed bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	img.Pix[4] = 200
	if err := png.Encode(&seed, img); err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "only"), "a.png", data)
		d, err := Open("images:"+dir, Options{Holdout: 0.5})
		if err != nil {
			return
		}
		s, err := d.Split(All)
		if err != nil {
			return
		}
		if s.Len() != 1 || len(s.data.pix) != s.data.shape.size() {
			t.Fatalf("%d images, %d pixel bytes for shape %v", s.Len(), len(s.data.pix), s.data.shape)
		}
	})
}
