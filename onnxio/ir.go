package onnxio

import (
	"fmt"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// DataType is an ONNX TensorProto element type. Only the types elight computes
// with have names here; others are reported by number.
type DataType int32

// The element types elight reads. Floating-point types are held as float32,
// integer and boolean types as int64.
const (
	Float  DataType = 1
	Uint8  DataType = 2
	Int8   DataType = 3
	Int32  DataType = 6
	Int64  DataType = 7
	Bool   DataType = 9
	Double DataType = 11
)

// String returns the ONNX name of the type, such as FLOAT.
func (t DataType) String() string {
	if name, ok := onnxpb.TensorProto_DataType_name[int32(t)]; ok {
		return name
	}
	return fmt.Sprintf("DataType(%d)", int32(t))
}

// Tensor is a dense, row-major tensor. Exactly one of Float and Int holds the
// elements, chosen by DataType: Float for FLOAT and DOUBLE (converted to
// float32), Int for the integer and BOOL types.
type Tensor struct {
	Name     string
	DataType DataType
	Dims     []int64
	Float    []float32
	Int      []int64
}

// NumElements returns the product of Dims (1 for a scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Dims {
		n *= int(d)
	}
	return n
}

// Dim is one dimension of a value's declared shape: a fixed size, or a
// symbolic name such as "batch_size" (Value < 0 then).
type Dim struct {
	Value int64
	Param string
}

// ValueInfo is a graph input or output as the model declares it. Shape is nil
// when the model does not declare one.
type ValueInfo struct {
	Name     string
	DataType DataType
	Shape    []Dim
}

// AttrType says which field of an Attribute is set.
type AttrType int

// The attribute kinds elight reads; graphs and sparse tensors are kept in the
// proto for writing but not interpreted.
const (
	AttrUndefined AttrType = iota
	AttrFloat
	AttrInt
	AttrString
	AttrTensor
	AttrFloats
	AttrInts
	AttrStrings
)

// Attribute is one node attribute.
type Attribute struct {
	Type    AttrType
	Float   float32
	Int     int64
	String  string
	Tensor  *Tensor
	Floats  []float32
	Ints    []int64
	Strings []string
}

// Node is one operator of the graph. An empty string in Inputs marks an
// omitted optional input, as in ONNX.
type Node struct {
	Name    string
	OpType  string
	Domain  string
	Inputs  []string
	Outputs []string
	Attrs   map[string]Attribute

	// proto is the NodeProto this node was read from, nil for nodes elight
	// created; Write keeps its doc string and unknown fields.
	proto *onnxpb.NodeProto
}

// Graph is the IR of an ONNX graph: the computation elight analyses, runs and
// rewrites. Nodes are in topological order.
type Graph struct {
	Name         string
	Inputs       []ValueInfo // runtime inputs; initializers listed as inputs are left out
	Outputs      []ValueInfo
	Nodes        []*Node
	Initializers map[string]*Tensor
}

// Model is an ONNX model: its graph IR plus what Write needs to reproduce the
// rest of the file unchanged.
type Model struct {
	Path  string // file it was read from, for error messages
	Opset int64  // version of the default ("" or "ai.onnx") operator set
	// DataFiles are the external-data files the weights were read from,
	// sorted. Write refuses to write over them as over Path: the input
	// model would then point at another model's bytes.
	DataFiles []string

	Graph *Graph

	// proto is the parsed file. Write starts from it so that fields elight
	// does not model (metadata, value_info, doc strings, unknown fields)
	// survive a round trip.
	proto *onnxpb.ModelProto
	// changed holds the names of initializers whose values elight replaced
	// or added; the others are written back byte for byte.
	changed map[string]bool
	// fromIR holds the names of the file's initializers whose raw_data the
	// parse left out of proto (see stripRaw): Write encodes them from the
	// IR, which for such a tensor gives the file's bytes where the IR still
	// says what the file said.
	fromIR map[string]bool
}
