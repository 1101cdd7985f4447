package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The fixtures in testdata/ were written by NumPy 1.24 (testdata/gen.py).
func TestReadNumPyFiles(t *testing.T) {
	f32 := []float32{-1, -0.5, 0, 0.5, 1, 1.5}
	seq := make([]float32, 24)
	for i := range seq {
		seq[i] = float32(i - 12)
	}
	tests := []struct {
		file  string
		dtype string
		shape []int
		float []float32
		ints  []int64
	}{
		{"f4_2x3.npy", "<f4", []int{2, 3}, f32, nil},
		{"f4_2x3_v2.npy", "<f4", []int{2, 3}, f32, nil},
		{"f4_2x3_v3.npy", "<f4", []int{2, 3}, f32, nil},
		{"f8_2x3.npy", "<f8", []int{2, 3}, []float32{0, float32(0.1), float32(0.2), float32(0.30000000000000004), float32(0.4), float32(0.5)}, nil},
		{"f4_2x3x2x2.npy", "<f4", []int{2, 3, 2, 2}, seq, nil},
		{"f4_scalar.npy", "<f4", []int{}, []float32{3.25}, nil},
		{"f4_0x3.npy", "<f4", []int{0, 3}, []float32{}, nil},
		{"i8_5.npy", "<i8", []int{5}, nil, []int64{-2, -1, 0, 1, 1 << 40}},
		{"i4_2x2.npy", "<i4", []int{2, 2}, nil, []int64{-7, 0, 7, math.MaxInt32}},
		{"i1_4.npy", "|i1", []int{4}, nil, []int64{-128, -1, 0, 127}},
		{"u1_3x4.npy", "|u1", []int{3, 4}, nil, []int64{0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			a, err := ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if a.DType != tc.dtype {
				t.Errorf("DType = %q, want %q", a.DType, tc.dtype)
			}
			if !reflect.DeepEqual(a.Shape, tc.shape) {
				t.Errorf("Shape = %v, want %v", a.Shape, tc.shape)
			}
			if !reflect.DeepEqual(a.Float, tc.float) {
				t.Errorf("Float = %v, want %v", a.Float, tc.float)
			}
			if !reflect.DeepEqual(a.Int, tc.ints) {
				t.Errorf("Int = %v, want %v", a.Int, tc.ints)
			}
			if a.IsFloat() != (tc.float != nil) {
				t.Errorf("IsFloat = %v", a.IsFloat())
			}
			if n := len(a.Float) + len(a.Int); n != a.Size() {
				t.Errorf("%d elements, Size() = %d", n, a.Size())
			}
		})
	}
}

// v1File builds a version 1.0 .npy prefix around the given header text.
func v1File(text string) []byte {
	b := []byte(Magic + "\x01\x00\x00\x00")
	binary.LittleEndian.PutUint16(b[8:], uint16(len(text)))
	return append(b, text...)
}

func TestReadErrors(t *testing.T) {
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := fixture("f4_2x3.npy")
	v9 := append([]byte{}, good...)
	v9[6] = 9
	tests := []struct {
		name    string
		data    []byte
		wantErr error
		wantMsg string
	}{
		{"empty", nil, ErrTruncated, "reading magic"},
		{"bad magic", []byte("PK\x03\x04 this is a zip file"), ErrBadMagic, "bad magic"},
		{"version", v9, ErrVersion, "9.0"},
		{"truncated header length", []byte(Magic + "\x01\x00\x10"), ErrTruncated, "header length"},
		{"truncated header", good[:40], ErrTruncated, "header"},
		{"truncated data", fixture("f4_2x3_truncated.npy"), ErrTruncated, "needs 24 data bytes, got 21"},
		{"fortran order", fixture("f4_2x3_fortran.npy"), ErrFortranOrder, "fortran_order"},
		{"big endian", fixture("f4_2x3_bigendian.npy"), ErrBigEndian, ">f4"},
		{"complex", fixture("c8_2.npy"), ErrDType, "<c8"},
		{"structured", fixture("structured.npy"), ErrDType, "structured"},
		{"object", v1File("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n"), ErrDType, "|O"},
		{"native f4", v1File("{'descr': '=f4', 'fortran_order': False, 'shape': (1,), }\n"), ErrDType, "byte order"},
		{"not a dict", v1File("('<f4', False, (1,))\n"), ErrHeader, "not a dictionary"},
		{"missing shape", v1File("{'descr': '<f4', 'fortran_order': False}\n"), ErrHeader, "missing key 'shape'"},
		{"extra key", v1File("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}\n"), ErrHeader, "unexpected key"},
		{"shape list", v1File("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}\n"), ErrHeader, "not a tuple"},
		{"shape float", v1File("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}\n"), ErrHeader, "expected ',' or ')'"},
		{"fortran not bool", v1File("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}\n"), ErrHeader, "fortran_order"},
		{"unterminated", v1File("{'descr': '<f4, 'fortran_order': False, 'shape': ()}\n"), ErrHeader, ""},
		{"garbage after", v1File("{'descr': '<f4', 'fortran_order': False, 'shape': ()} x\n"), ErrHeader, "after the dictionary"},
		{"negative dim", v1File("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }\n"), ErrShape, "negative"},
		{"huge shape", v1File("{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 2), }\n"), ErrShape, "too many"},
		{"int overflow", v1File("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n"), ErrHeader, "out of range"},
		{"deep nesting", v1File("{'descr': " + strings.Repeat("[", 100) + "}\n"), ErrHeader, "nesting"},
		{"big shape no data", v1File("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }\n"), ErrTruncated, "got 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Read(bytes.NewReader(tc.data))
			if err == nil {
				t.Fatalf("Read succeeded: %+v", a)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q is not %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) || !strings.HasPrefix(err.Error(), "npy: ") {
				t.Errorf("error %q: want prefix \"npy: \" and %q", err, tc.wantMsg)
			}
		})
	}
}

func TestReadFileErrorNamesPath(t *testing.T) {
	path := filepath.Join("testdata", "f4_2x3_bigendian.npy")
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, ErrBigEndian) {
		t.Fatalf("ReadFile error = %v", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.npy")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: error = %v", err)
	}
}

func TestFortranOrder1DAccepted(t *testing.T) {
	data := v1File("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n")
	data = append(data, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40) // 1, 2
	a, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Float, []float32{1, 2}) {
		t.Fatalf("Float = %v", a.Float)
	}
}

func TestReadConsecutive(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFloat32(&buf, []int{2}, []float32{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := WriteInt64(&buf, []int{1, 1}, []int64{7}); err != nil {
		t.Fatal(err)
	}
	a, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Float, []float32{1, 2}) || !reflect.DeepEqual(b.Int, []int64{7}) || buf.Len() != 0 {
		t.Fatalf("got %+v %+v, %d bytes left", a, b, buf.Len())
	}
}

func TestWriteMatchesNumPy(t *testing.T) {
	// NumPy's own bytes for the same arrays: the writer must match exactly.
	tests := []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"f4_2x3.npy", func(b *bytes.Buffer) error {
			return WriteFloat32(b, []int{2, 3}, []float32{-1, -0.5, 0, 0.5, 1, 1.5})
		}},
		{"f4_scalar.npy", func(b *bytes.Buffer) error { return WriteFloat32(b, nil, []float32{3.25}) }},
		{"f4_0x3.npy", func(b *bytes.Buffer) error { return WriteFloat32(b, []int{0, 3}, nil) }},
		{"i8_5.npy", func(b *bytes.Buffer) error { return WriteInt64(b, []int{5}, []int64{-2, -1, 0, 1, 1 << 40}) }},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("wrote\n%q\nNumPy wrote\n%q", buf.Bytes(), want)
			}
		})
	}
}

func TestWriteRoundTrip(t *testing.T) {
	shapes := [][]int{nil, {1}, {7}, {0}, {2, 0, 3}, {2, 3, 4, 5}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}
	for _, shape := range shapes {
		n := 1
		for _, d := range shape {
			n *= d
		}
		f := make([]float32, n)
		in := make([]int64, n)
		for i := range f {
			f[i] = float32(i)*0.25 - 3
			in[i] = int64(i)*1e12 - 5
		}
		if n > 0 {
			f[0] = float32(math.Inf(-1))
			in[0] = math.MinInt64
		}
		var buf bytes.Buffer
		if err := WriteFloat32(&buf, shape, f); err != nil {
			t.Fatal(err)
		}
		if buf.Len()%64 != 4*n%64 {
			t.Errorf("shape %v: header not 64-byte aligned (%d bytes total)", shape, buf.Len())
		}
		a, err := Read(&buf)
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if len(a.Shape) != len(shape) || a.Size() != n || !reflect.DeepEqual(a.Float, f) || a.DType != "<f4" {
			t.Errorf("shape %v: float round trip gave %+v", shape, a)
		}
		buf.Reset()
		if err := WriteInt64(&buf, shape, in); err != nil {
			t.Fatal(err)
		}
		b, err := Read(&buf)
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if len(b.Shape) != len(shape) || !reflect.DeepEqual(b.Int, in) || b.DType != "<i8" {
			t.Errorf("shape %v: int round trip gave %+v", shape, b)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFloat32(&buf, []int{2, 3}, make([]float32, 5)); !errors.Is(err, ErrShape) {
		t.Errorf("length mismatch: error = %v", err)
	}
	if err := WriteInt64(&buf, []int{-1}, nil); !errors.Is(err, ErrShape) {
		t.Errorf("negative dim: error = %v", err)
	}
	if err := WriteFloat32(&buf, []int{math.MaxInt, 4}, nil); !errors.Is(err, ErrShape) {
		t.Errorf("overflow: error = %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("failed writes wrote %d bytes", buf.Len())
	}
	if err := WriteFloat32(failWriter{}, []int{1}, []float32{1}); err == nil || !strings.Contains(err.Error(), "writing header") {
		t.Errorf("failing writer: error = %v", err)
	}
	if err := WriteFloat32File(filepath.Join(t.TempDir(), "no", "such", "dir.npy"), []int{1}, []float32{1}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bad path: error = %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	fp, ip := filepath.Join(dir, "f.npy"), filepath.Join(dir, "i.npy")
	if err := WriteFloat32File(fp, []int{2, 2}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if err := WriteInt64File(ip, []int{3}, []int64{4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	a, err := ReadFile(fp)
	if err != nil || !reflect.DeepEqual(a.Float, []float32{1, 2, 3, 4}) {
		t.Fatalf("ReadFile(f) = %+v, %v", a, err)
	}
	b, err := ReadFile(ip)
	if err != nil || !reflect.DeepEqual(b.Int, []int64{4, 5, 6}) {
		t.Fatalf("ReadFile(i) = %+v, %v", b, err)
	}
}

// TestNumPyReadsOutput checks that NumPy loads what the writer produces. It
// needs /usr/bin/python3 with numpy and is skipped otherwise.
func TestNumPyReadsOutput(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s with numpy not available: %v", py, err)
	}
	dir := t.TempDir()
	if err := WriteFloat32File(filepath.Join(dir, "f.npy"), []int{2, 1, 3}, []float32{1, -2, 3.5, 0, 1e-30, -7}); err != nil {
		t.Fatal(err)
	}
	if err := WriteInt64File(filepath.Join(dir, "i.npy"), []int{4}, []int64{math.MinInt64, -1, 0, math.MaxInt64}); err != nil {
		t.Fatal(err)
	}
	script := `
import numpy as np, sys
f = np.load(sys.argv[1] + "/f.npy"); i = np.load(sys.argv[1] + "/i.npy")
assert f.dtype == np.float32 and f.shape == (2, 1, 3), (f.dtype, f.shape)
assert (f.ravel() == np.array([1, -2, 3.5, 0, 1e-30, -7], dtype=np.float32)).all(), f
assert i.dtype == np.int64 and (i == [-2**63, -1, 0, 2**63 - 1]).all(), i
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("numpy rejected the files: %v\n%s", err, out)
	}
}
