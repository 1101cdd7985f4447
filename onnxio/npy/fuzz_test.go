package npy

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzRead checks that Read never panics and that whatever it accepts is
// self-consistent and survives a write/read round trip. The seed corpus is
// the NumPy fixtures in testdata/ plus testdata/fuzz/FuzzRead/.
func FuzzRead(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.npy"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data))
		if err != nil {
			if a != nil {
				t.Fatalf("Read returned both %+v and %v", a, err)
			}
			return
		}
		if (a.Float == nil) == (a.Int == nil) {
			t.Fatalf("exactly one of Float and Int must be set: %+v", a)
		}
		if n := len(a.Float) + len(a.Int); n != a.Size() {
			t.Fatalf("%d elements for shape %v", n, a.Shape)
		}
		var buf bytes.Buffer
		if a.IsFloat() {
			err = WriteFloat32(&buf, a.Shape, a.Float)
		} else {
			err = WriteInt64(&buf, a.Shape, a.Int)
		}
		if err != nil {
			t.Fatalf("writing back %v: %v", a.Shape, err)
		}
		b, err := Read(&buf)
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if len(a.Shape) != len(b.Shape) || (len(a.Shape) > 0 && !reflect.DeepEqual(a.Shape, b.Shape)) {
			t.Fatalf("shape %v became %v", a.Shape, b.Shape)
		}
		if a.IsFloat() {
			// Compare bit patterns: NaN payloads must survive too.
			for i := range a.Float {
				if math.Float32bits(a.Float[i]) != math.Float32bits(b.Float[i]) {
					t.Fatalf("element %d: %v became %v", i, a.Float[i], b.Float[i])
				}
			}
		} else if !reflect.DeepEqual(a.Int, b.Int) {
			t.Fatalf("int data changed")
		}
	})
}
