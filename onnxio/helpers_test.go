package onnxio

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// The helpers below build ONNX protos directly, independently of the
// package's own encoder, so tests check it against the format rather than
// against itself.

func floatData(name string, dims []int64, v ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: name, DataType: int32(Float), Dims: dims, FloatData: v}
}

func rawFloat(name string, dims []int64, v ...float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return &onnxpb.TensorProto{Name: name, DataType: int32(Float), Dims: dims, RawData: raw}
}

func int64Data(name string, dims []int64, v ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: name, DataType: int32(Int64), Dims: dims, Int64Data: v}
}

// tensorVI declares a float tensor value; a negative dim becomes the
// symbolic dim "N".
func tensorVI(name string, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		pd := &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}}
		if d < 0 {
			pd.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
		}
		shape.Dim = append(shape.Dim, pd)
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(Float), Shape: shape}},
	}}
}

func nodeP(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: op, Name: name, Input: in, Output: out, Attribute: attrs}
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: v}
}

func intsAttr(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}

func floatAttr(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: v}
}

func modelP(g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:    8,
		ProducerName: "onnxio-test",
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: "", Version: 13}},
		Graph:        g,
	}
}

// convModel is a small Conv -> Relu network: input x [N,2,4,4], weight w
// [3,2,1,1] in float_data, bias b in raw_data, output y.
func convModel() *onnxpb.ModelProto {
	return modelP(&onnxpb.GraphProto{
		Name: "conv",
		Node: []*onnxpb.NodeProto{
			nodeP("Conv", "Conv_0", []string{"x", "w", "b"}, []string{"c"},
				intsAttr("kernel_shape", 1, 1), intsAttr("strides", 1, 1)),
			nodeP("Relu", "Relu_1", []string{"c"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			floatData("w", []int64{3, 2, 1, 1}, 1, 2, 3, 4, 5, 6),
			rawFloat("b", []int64{3}, 0.5, -0.5, 0.25),
		},
		Input:     []*onnxpb.ValueInfoProto{tensorVI("x", -1, 2, 4, 4)},
		Output:    []*onnxpb.ValueInfoProto{tensorVI("y", -1, 3, 4, 4)},
		ValueInfo: []*onnxpb.ValueInfoProto{tensorVI("c", -1, 3, 4, 4)},
	})
}

func marshal(t testing.TB, mp *onnxpb.ModelProto) []byte {
	t.Helper()
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParse(t testing.TB, mp *onnxpb.ModelProto) *Model {
	t.Helper()
	m, err := Parse(marshal(t, mp), t.TempDir())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

// writeFile saves mp as dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, mp *onnxpb.ModelProto) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, marshal(t, mp), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readProto decodes a file without going through the package.
func readProto(t testing.TB, path string) *onnxpb.ModelProto {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mp := new(onnxpb.ModelProto)
	if err := proto.Unmarshal(data, mp); err != nil {
		t.Fatal(err)
	}
	return mp
}

// diffModels describes how the IR of a and b differ, ignoring Path and the
// protos they came from; "" means equal.
func diffModels(a, b *Model) string {
	var d []string
	add := func(format string, args ...any) { d = append(d, fmt.Sprintf(format, args...)) }
	if a.Opset != b.Opset {
		add("opset %d vs %d", a.Opset, b.Opset)
	}
	ga, gb := a.Graph, b.Graph
	if ga.Name != gb.Name {
		add("graph name %q vs %q", ga.Name, gb.Name)
	}
	if !slices.EqualFunc(ga.Inputs, gb.Inputs, equalValueInfo) {
		add("inputs %v vs %v", ga.Inputs, gb.Inputs)
	}
	if !slices.EqualFunc(ga.Outputs, gb.Outputs, equalValueInfo) {
		add("outputs %v vs %v", ga.Outputs, gb.Outputs)
	}
	if len(ga.Nodes) != len(gb.Nodes) {
		add("%d vs %d nodes", len(ga.Nodes), len(gb.Nodes))
	} else {
		for i := range ga.Nodes {
			if s := diffNodes(ga.Nodes[i], gb.Nodes[i]); s != "" {
				add("node %d: %s", i, s)
			}
		}
	}
	if len(ga.Initializers) != len(gb.Initializers) {
		add("%d vs %d initializers", len(ga.Initializers), len(gb.Initializers))
	}
	for name, t := range ga.Initializers {
		if !equalTensor(t, gb.Initializers[name]) {
			add("initializer %q: %v vs %v", name, t, gb.Initializers[name])
		}
	}
	return strings.Join(d, "; ")
}

func diffNodes(a, b *Node) string {
	if a.Name != b.Name || a.OpType != b.OpType || a.Domain != b.Domain ||
		!slices.Equal(a.Inputs, b.Inputs) || !slices.Equal(a.Outputs, b.Outputs) {
		return fmt.Sprintf("%s %s %v->%v vs %s %s %v->%v", a.Name, a.OpType, a.Inputs, a.Outputs,
			b.Name, b.OpType, b.Inputs, b.Outputs)
	}
	if len(a.Attrs) != len(b.Attrs) {
		return fmt.Sprintf("attrs %v vs %v", a.Attrs, b.Attrs)
	}
	for k, v := range a.Attrs {
		if w, ok := b.Attrs[k]; !ok || !equalAttr(v, w) {
			return fmt.Sprintf("attr %q: %+v vs %+v", k, v, w)
		}
	}
	return ""
}
