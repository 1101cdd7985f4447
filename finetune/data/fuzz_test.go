package data

import (
	"bytes"
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
