package onnxio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// maxElements caps the element count of one tensor. Data is only allocated
// once its length has been checked against the dims, but the cap keeps the
// size arithmetic far from overflow on any platform and turns a corrupt
// header into a clear error. 1<<30 float32s are 4 GiB, far beyond the models
// elight maps onto photonic hardware.
const maxElements = 1 << 30

// elementCount returns the number of elements of a tensor with the given
// dims, rejecting negative dims and counts over maxElements.
func elementCount(dims []int64) (int, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %s", d, fmtDims(dims))
		}
		// Dividing rather than multiplying first keeps the check itself
		// from overflowing.
		if d > 0 && n > maxElements/d {
			return 0, fmt.Errorf("shape %s has more than %d elements", fmtDims(dims), maxElements)
		}
		n *= d
	}
	return int(n), nil
}

// fmtDims formats a shape for an error message; hostile files can carry
// millions of dims, which must not turn into a megabyte-long message.
func fmtDims(dims []int64) string {
	const show = 8
	if len(dims) <= show {
		return fmt.Sprint(dims)
	}
	s := fmt.Sprint(dims[:show])
	return fmt.Sprintf("%s …] (%d dims)", s[:len(s)-1], len(dims))
}

// elemSize returns the bytes per element of t in raw_data, or 0 for the
// types elight does not read.
func elemSize(t DataType) int {
	switch t {
	case Float, Int32:
		return 4
	case Double, Int64:
		return 8
	case Int8, Uint8, Bool:
		return 1
	}
	return 0
}

// isFloat reports whether tensors of type t keep their elements in
// Tensor.Float rather than Tensor.Int.
func isFloat(t DataType) bool { return t == Float || t == Double }

// intRange returns the values an element of integer type t can take.
func intRange(t DataType) (lo, hi int64) {
	switch t {
	case Int32:
		return math.MinInt32, math.MaxInt32
	case Int8:
		return math.MinInt8, math.MaxInt8
	case Uint8:
		return 0, math.MaxUint8
	case Bool:
		return 0, 1
	}
	return math.MinInt64, math.MaxInt64
}

// decodeTensor converts tp into a Tensor whose slices do not alias tp, so
// that Write can tell whether the IR copy was edited. dir resolves external
// data.
func decodeTensor(tp *onnxpb.TensorProto, dir string) (*Tensor, error) {
	return decodeTensorRaw(tp, tp.GetRawData(), dir)
}

// decodeTensorRaw is decodeTensor with raw in place of tp's raw_data, which
// the parse may have left out of tp (see stripRaw).
func decodeTensorRaw(tp *onnxpb.TensorProto, raw []byte, dir string) (*Tensor, error) {
	t := &Tensor{
		Name:     tp.GetName(),
		DataType: DataType(tp.GetDataType()),
		Dims:     slices.Clone(tp.GetDims()),
	}
	if t.Dims == nil {
		t.Dims = []int64{}
	}
	size := elemSize(t.DataType)
	if size == 0 {
		return nil, fmt.Errorf("unsupported data type %v", t.DataType)
	}
	if tp.GetSegment() != nil {
		return nil, errors.New("segmented tensors are not supported")
	}
	n, err := elementCount(t.Dims)
	if err != nil {
		return nil, err
	}

	field, typed := typedLen(tp, t.DataType)
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		if len(raw) > 0 {
			return nil, errors.New("both raw_data and external data are set")
		}
		// Read a chunk at a time: a classifier's weight can be gigabytes.
		err := readExternal(tp, dir, n*size, func(read func([]byte) error) error {
			if typed > 0 {
				return fmt.Errorf("both raw_data and %s are set", field)
			}
			return decodeRawChunks(t, n, read)
		})
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	if len(raw) > 0 {
		if typed > 0 {
			return nil, fmt.Errorf("both raw_data and %s are set", field)
		}
		if len(raw) != n*size {
			return nil, fmt.Errorf("shape %s needs %d bytes of %v data, raw_data has %d",
				fmtDims(t.Dims), n*size, t.DataType, len(raw))
		}
		return t, decodeRaw(t, raw, n)
	}
	if typed != n {
		return nil, fmt.Errorf("shape %s needs %d elements, %s has %d", fmtDims(t.Dims), n, field, typed)
	}
	return t, decodeTyped(t, tp)
}

// typedLen names the typed field that holds elements of type t and returns
// its length.
func typedLen(tp *onnxpb.TensorProto, t DataType) (string, int) {
	switch t {
	case Float:
		return "float_data", len(tp.GetFloatData())
	case Double:
		return "double_data", len(tp.GetDoubleData())
	case Int64:
		return "int64_data", len(tp.GetInt64Data())
	}
	return "int32_data", len(tp.GetInt32Data())
}

// decodeRaw fills t from n little-endian elements in raw.
func decodeRaw(t *Tensor, raw []byte, n int) error {
	allocElems(t, n)
	decodeElems(t, raw, 0)
	return checkRange(t)
}

// decodeRawChunks is decodeRaw for n elements that read fills a chunk at a
// time, so that a large tensor's bytes are never held whole beside its
// elements.
func decodeRawChunks(t *Tensor, n int, read func([]byte) error) error {
	allocElems(t, n)
	size := elemSize(t.DataType)
	buf := make([]byte, min(n, 1<<18)*size)
	for i := 0; i < n; {
		k := min(n-i, len(buf)/size)
		if err := read(buf[:k*size]); err != nil {
			return err
		}
		decodeElems(t, buf[:k*size], i)
		i += k
	}
	return checkRange(t)
}

// allocElems gives t room for n elements of its type.
func allocElems(t *Tensor, n int) {
	if isFloat(t.DataType) {
		t.Float = make([]float32, n)
	} else {
		t.Int = make([]int64, n)
	}
}

// decodeElems decodes the little-endian elements in raw into t's elements
// from index start on.
func decodeElems(t *Tensor, raw []byte, start int) {
	le := binary.LittleEndian
	switch t.DataType {
	case Float:
		out := t.Float[start : start+len(raw)/4]
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		return
	case Double:
		out := t.Float[start : start+len(raw)/8]
		for i := range out {
			out[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
		return
	}
	out := t.Int[start : start+len(raw)/elemSize(t.DataType)]
	for i := range out {
		switch t.DataType {
		case Int64:
			out[i] = int64(le.Uint64(raw[8*i:]))
		case Int32:
			out[i] = int64(int32(le.Uint32(raw[4*i:])))
		case Int8:
			out[i] = int64(int8(raw[i]))
		case Uint8, Bool:
			out[i] = int64(raw[i])
		}
	}
}

// decodeTyped fills t from the typed field that holds its elements.
func decodeTyped(t *Tensor, tp *onnxpb.TensorProto) error {
	switch t.DataType {
	case Float:
		t.Float = slices.Clone(tp.GetFloatData())
		return nil
	case Double:
		t.Float = make([]float32, len(tp.GetDoubleData()))
		for i, v := range tp.GetDoubleData() {
			t.Float[i] = float32(v)
		}
		return nil
	case Int64:
		t.Int = slices.Clone(tp.GetInt64Data())
		return nil
	}
	// ONNX stores INT32, INT8, UINT8 and BOOL elements one per int32.
	t.Int = make([]int64, len(tp.GetInt32Data()))
	for i, v := range tp.GetInt32Data() {
		t.Int[i] = int64(v)
	}
	return checkRange(t)
}

// checkRange rejects integer elements that do not fit t's element type;
// they could not be written back unchanged.
func checkRange(t *Tensor) error {
	lo, hi := intRange(t.DataType)
	for i, v := range t.Int {
		if v < lo || v > hi {
			return fmt.Errorf("element %d is %d, outside the range of %v", i, v, t.DataType)
		}
	}
	return nil
}

// encodeTensor converts t into a TensorProto with its elements in raw_data,
// the compact form ONNX exporters use for weights.
func encodeTensor(t *Tensor) (*onnxpb.TensorProto, error) {
	tp, err := encodeTensorHeader(t)
	if err != nil {
		return nil, err
	}
	if t.DataType == Float {
		tp.RawData = appendFloats(make([]byte, 0, 4*len(t.Float)), t.Float)
	}
	return tp, nil
}

// encodeTensorHeader is encodeTensor but leaves a FLOAT tensor's raw_data
// empty, for a writer that streams it from t.Float (see marshalTo): the
// weights are not copied to be written.
func encodeTensorHeader(t *Tensor) (*onnxpb.TensorProto, error) {
	size := elemSize(t.DataType)
	if size == 0 {
		return nil, fmt.Errorf("unsupported data type %v", t.DataType)
	}
	n, err := elementCount(t.Dims)
	if err != nil {
		return nil, err
	}
	have, other := len(t.Int), len(t.Float)
	if isFloat(t.DataType) {
		have, other = other, have
	}
	if have != n || other != 0 {
		return nil, fmt.Errorf("shape %s needs %d %v elements, tensor holds %d Float and %d Int",
			fmtDims(t.Dims), n, t.DataType, len(t.Float), len(t.Int))
	}
	if err := checkRange(t); err != nil {
		return nil, err
	}

	var raw []byte
	le := binary.LittleEndian
	switch t.DataType {
	case Float:
		// left to the caller
	case Double:
		raw = make([]byte, 0, n*size)
		for _, v := range t.Float {
			raw = le.AppendUint64(raw, math.Float64bits(float64(v)))
		}
	case Int64:
		raw = make([]byte, 0, n*size)
		for _, v := range t.Int {
			raw = le.AppendUint64(raw, uint64(v))
		}
	case Int32:
		raw = make([]byte, 0, n*size)
		for _, v := range t.Int {
			raw = le.AppendUint32(raw, uint32(v))
		}
	default:
		raw = make([]byte, 0, n*size)
		for _, v := range t.Int {
			raw = append(raw, byte(v))
		}
	}
	return &onnxpb.TensorProto{
		Name:     t.Name,
		DataType: int32(t.DataType),
		Dims:     slices.Clone(t.Dims),
		RawData:  raw,
	}, nil
}

// appendFloats appends the little-endian bytes of v to b.
func appendFloats(b []byte, v []float32) []byte {
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

// equalTensor reports whether a and b hold the same name, type, shape and
// elements. Floats are compared bit for bit so that NaNs compare equal to
// themselves and -0 differs from +0, as they would in the file.
func equalTensor(a, b *Tensor) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Name == b.Name && a.DataType == b.DataType &&
		slices.Equal(a.Dims, b.Dims) && slices.Equal(a.Int, b.Int) &&
		slices.EqualFunc(a.Float, b.Float, func(x, y float32) bool {
			return math.Float32bits(x) == math.Float32bits(y)
		})
}
