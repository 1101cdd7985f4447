// Package npy reads and writes NumPy .npy files.
//
// Read accepts format versions 1.0, 2.0 and 3.0 holding little-endian,
// C-order arrays of float32 ('<f4'), float64 ('<f8', converted to float32),
// int64 ('<i8'), int32 ('<i4'), int8 ('|i1') and uint8 ('|u1'). Floating-point
// data lands in Array.Float, integer data in Array.Int. Writers produce format
// 1.0 files, as numpy.save does, for float32 and int64 data.
//
// Everything else (multi-dimensional Fortran-order arrays, big-endian byte
// order, other or structured dtypes, object arrays) is reported as an error;
// malformed input never panics. Errors can be classified with errors.Is against the Err* values.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Magic is the six-byte prefix of every .npy file.
const Magic = "\x93NUMPY"

// MaxHeaderLen bounds the header length Read accepts (NumPy itself refuses
// headers above 10000 bytes by default); it protects against absurd
// allocations from corrupt or hostile files.
const MaxHeaderLen = 1 << 20

// Errors returned (wrapped, with context) by Read and ReadFile.
var (
	// ErrBadMagic means the input does not start with the .npy magic string.
	ErrBadMagic = errors.New("not a .npy file (bad magic)")
	// ErrVersion means the format version is not 1.0, 2.0 or 3.0.
	ErrVersion = errors.New("unsupported .npy format version")
	// ErrHeader means the header dictionary could not be parsed or lacks
	// (or has extra) keys.
	ErrHeader = errors.New("malformed .npy header")
	// ErrFortranOrder means the array is stored in Fortran (column-major)
	// order, which is not supported.
	ErrFortranOrder = errors.New("fortran_order arrays are not supported")
	// ErrBigEndian means the dtype is big-endian.
	ErrBigEndian = errors.New("big-endian data is not supported")
	// ErrDType means the dtype is none of the supported ones.
	ErrDType = errors.New("unsupported dtype")
	// ErrTruncated means the file ends before the header or the data does.
	ErrTruncated = errors.New("truncated .npy data")
	// ErrShape means a shape is invalid: negative dimensions, an element
	// count that overflows, or (when writing) a mismatch with the data length.
	ErrShape = errors.New("invalid shape")
)

// Array is an n-dimensional array read from a .npy file, in C (row-major)
// order. Exactly one of Float and Int holds the elements: Float for the
// floating-point dtypes, Int for the integer ones.
type Array struct {
	// Shape lists the dimensions; it is empty for a 0-d (scalar) array.
	Shape []int
	// DType is the NumPy type descriptor read from the header, e.g. "<f4".
	DType string
	// Float holds float32 and float64 (converted) elements; nil otherwise.
	Float []float32
	// Int holds integer elements widened to int64; nil otherwise.
	Int []int64
}

// Size returns the number of elements implied by Shape (1 for a scalar).
func (a *Array) Size() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// IsFloat reports whether the array holds floating-point data (in Float).
func (a *Array) IsFloat() bool {
	return a.Float != nil
}

// dtype describes one supported element type.
type dtype struct {
	size  int
	float bool
	// decode converts the little-endian element at b into the array.
	decodeFloat func(b []byte) float32
	decodeInt   func(b []byte) int64
}

var dtypes = map[string]dtype{
	"f4": {size: 4, float: true, decodeFloat: func(b []byte) float32 {
		return math.Float32frombits(binary.LittleEndian.Uint32(b))
	}},
	"f8": {size: 8, float: true, decodeFloat: func(b []byte) float32 {
		return float32(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}},
	"i8": {size: 8, decodeInt: func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }},
	"i4": {size: 4, decodeInt: func(b []byte) int64 { return int64(int32(binary.LittleEndian.Uint32(b))) }},
	"i1": {size: 1, decodeInt: func(b []byte) int64 { return int64(int8(b[0])) }},
	"u1": {size: 1, decodeInt: func(b []byte) int64 { return int64(b[0]) }},
}

// lookupDType resolves a descriptor such as "<f4" or "|u1".
func lookupDType(descr string) (dtype, error) {
	if len(descr) < 2 {
		return dtype{}, fmt.Errorf("%w %q", ErrDType, descr)
	}
	order, kind := descr[0], descr[1:]
	dt, ok := dtypes[kind]
	if !ok {
		return dtype{}, fmt.Errorf("%w %q (want <f4, <f8, <i8, <i4, |i1 or |u1)", ErrDType, descr)
	}
	switch order {
	case '<':
	case '|', '=':
		// '|' (byte order not applicable) is what NumPy writes for 1-byte
		// types; '=' (native) is never written by NumPy.
		if dt.size != 1 {
			return dtype{}, fmt.Errorf("%w %q: byte order must be '<'", ErrDType, descr)
		}
	case '>':
		if dt.size != 1 {
			return dtype{}, fmt.Errorf("%w: dtype %q", ErrBigEndian, descr)
		}
	default:
		return dtype{}, fmt.Errorf("%w %q", ErrDType, descr)
	}
	return dt, nil
}

// ReadFile reads a .npy file from disk.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	a, err := Read(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Read reads one .npy array from r. It consumes exactly the header and the
// array data, so several arrays stored back to back can be read in turn.
// Arrays flagged fortran_order are rejected with ErrFortranOrder unless they
// have at most one dimension (then both orders are the same bytes).
func Read(r io.Reader) (*Array, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("npy: reading magic: %w", ErrTruncated)
		}
		return nil, fmt.Errorf("npy: reading magic: %w", err)
	}
	if string(pre[:6]) != Magic {
		return nil, fmt.Errorf("npy: %w: starts with %q", ErrBadMagic, pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch {
	case major == 1 && minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", truncated(err))
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", truncated(err))
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > MaxHeaderLen {
			return nil, fmt.Errorf("npy: %w: header length %d exceeds %d", ErrHeader, n, MaxHeaderLen)
		}
		hlen = int(n)
	default:
		return nil, fmt.Errorf("npy: %w %d.%d", ErrVersion, major, minor)
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("npy: reading %d-byte header: %w", hlen, truncated(err))
	}
	h, err := parseHeader(string(header))
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	dt, err := lookupDType(h.descr)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	if h.fortran && len(h.shape) > 1 {
		return nil, fmt.Errorf("npy: %w (shape %v)", ErrFortranOrder, h.shape)
	}
	count := 1
	for _, d := range h.shape {
		if d < 0 {
			return nil, fmt.Errorf("npy: %w: negative dimension in %v", ErrShape, h.shape)
		}
		if d != 0 && count > math.MaxInt/dt.size/d {
			return nil, fmt.Errorf("npy: %w: %v has too many elements", ErrShape, h.shape)
		}
		count *= d
	}
	// Read through a growing buffer rather than allocating count*size up
	// front, so that a corrupt shape cannot force a huge allocation.
	need := int64(count) * int64(dt.size)
	var buf bytes.Buffer
	got, err := io.Copy(&buf, io.LimitReader(r, need))
	if err != nil {
		return nil, fmt.Errorf("npy: reading data: %w", err)
	}
	if got != need {
		return nil, fmt.Errorf("npy: %w: %s %v needs %d data bytes, got %d", ErrTruncated, h.descr, h.shape, need, got)
	}
	data := buf.Bytes()
	a := &Array{Shape: h.shape, DType: h.descr}
	if dt.float {
		a.Float = make([]float32, count)
		for i := range a.Float {
			a.Float[i] = dt.decodeFloat(data[i*dt.size:])
		}
	} else {
		a.Int = make([]int64, count)
		for i := range a.Int {
			a.Int[i] = dt.decodeInt(data[i*dt.size:])
		}
	}
	return a, nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return err
}

// WriteFloat32 writes data with the given shape as a format 1.0 '<f4' .npy
// array. len(data) must equal the product of shape (1 for an empty shape).
func WriteFloat32(w io.Writer, shape []int, data []float32) error {
	if err := writeHeader(w, "<f4", shape, len(data)); err != nil {
		return err
	}
	buf := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("npy: writing data: %w", err)
	}
	return nil
}

// WriteInt64 writes data with the given shape as a format 1.0 '<i8' .npy
// array. len(data) must equal the product of shape (1 for an empty shape).
func WriteInt64(w io.Writer, shape []int, data []int64) error {
	if err := writeHeader(w, "<i8", shape, len(data)); err != nil {
		return err
	}
	buf := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("npy: writing data: %w", err)
	}
	return nil
}

// WriteFloat32File writes a '<f4' .npy file at path (see WriteFloat32).
func WriteFloat32File(path string, shape []int, data []float32) error {
	return writeFile(path, func(w io.Writer) error { return WriteFloat32(w, shape, data) })
}

// WriteInt64File writes a '<i8' .npy file at path (see WriteInt64).
func WriteInt64File(path string, shape []int, data []int64) error {
	return writeFile(path, func(w io.Writer) error { return WriteInt64(w, shape, data) })
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeHeader writes the magic, version 1.0 and the header dictionary,
// padded with spaces and a newline to a multiple of 64 bytes as NumPy does.
func writeHeader(w io.Writer, descr string, shape []int, n int) error {
	count := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("npy: %w: negative dimension in %v", ErrShape, shape)
		}
		if d != 0 && count > math.MaxInt/d {
			return fmt.Errorf("npy: %w: %v has too many elements", ErrShape, shape)
		}
		count *= d
	}
	if count != n {
		return fmt.Errorf("npy: %w: shape %v holds %d elements, data has %d", ErrShape, shape, count, n)
	}
	var sb strings.Builder
	sb.WriteString("{'descr': '")
	sb.WriteString(descr)
	sb.WriteString("', 'fortran_order': False, 'shape': (")
	for i, d := range shape {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		sb.WriteString(",")
	}
	sb.WriteString("), }")
	const prefix = len(Magic) + 2 + 2
	pad := 64 - (prefix+sb.Len()+1)%64
	if pad == 64 {
		pad = 0
	}
	sb.WriteString(strings.Repeat(" ", pad))
	sb.WriteString("\n")
	if sb.Len() > math.MaxUint16 {
		return fmt.Errorf("npy: %w: header for shape %v too long for format 1.0", ErrShape, shape)
	}
	head := make([]byte, prefix, prefix+sb.Len())
	copy(head, Magic)
	head[6], head[7] = 1, 0
	binary.LittleEndian.PutUint16(head[8:], uint16(sb.Len()))
	head = append(head, sb.String()...)
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("npy: writing header: %w", err)
	}
	return nil
}
