package onnxio

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

func TestParseConvModel(t *testing.T) {
	mp := convModel()
	// Legacy exporters list initializers as graph inputs too.
	mp.Graph.Input = append(mp.Graph.Input, tensorVI("w", 3, 2, 1, 1))
	m := mustParse(t, mp)

	if m.Opset != 13 {
		t.Errorf("Opset = %d, want 13", m.Opset)
	}
	g := m.Graph
	wantIn := []ValueInfo{{Name: "x", DataType: Float, Shape: []Dim{{Value: -1, Param: "N"}, {Value: 2}, {Value: 4}, {Value: 4}}}}
	if !slices.EqualFunc(g.Inputs, wantIn, equalValueInfo) {
		t.Errorf("Inputs = %+v, want %+v", g.Inputs, wantIn)
	}
	if len(g.Outputs) != 1 || g.Outputs[0].Name != "y" || g.Outputs[0].Shape[1].Value != 3 {
		t.Errorf("Outputs = %+v", g.Outputs)
	}
	if len(g.Nodes) != 2 || g.Nodes[0].OpType != "Conv" || g.Nodes[1].Name != "Relu_1" {
		t.Fatalf("Nodes = %v", g.Nodes)
	}
	conv := g.Nodes[0]
	if !slices.Equal(conv.Inputs, []string{"x", "w", "b"}) || !slices.Equal(conv.Outputs, []string{"c"}) {
		t.Errorf("Conv inputs %v outputs %v", conv.Inputs, conv.Outputs)
	}
	if got := conv.AttrInts("kernel_shape", nil); !slices.Equal(got, []int64{1, 1}) {
		t.Errorf("kernel_shape = %v", got)
	}
	if conv.proto == nil || conv.proto.GetName() != "Conv_0" {
		t.Errorf("Conv proto not kept")
	}
	wantW := &Tensor{Name: "w", DataType: Float, Dims: []int64{3, 2, 1, 1}, Float: []float32{1, 2, 3, 4, 5, 6}}
	wantB := &Tensor{Name: "b", DataType: Float, Dims: []int64{3}, Float: []float32{0.5, -0.5, 0.25}}
	if !equalTensor(g.Initializers["w"], wantW) || !equalTensor(g.Initializers["b"], wantB) {
		t.Errorf("initializers = %+v %+v", g.Initializers["w"], g.Initializers["b"])
	}
}

func TestParseTensorTypes(t *testing.T) {
	le := func(b ...byte) []byte { return b }
	tests := []struct {
		name  string
		tp    *onnxpb.TensorProto
		float []float32
		ints  []int64
	}{
		{"float typed", &onnxpb.TensorProto{DataType: 1, Dims: []int64{2}, FloatData: []float32{1.5, -2}}, []float32{1.5, -2}, nil},
		// 0x3fc00000 is 1.5, 0xc0000000 is -2.
		{"float raw", &onnxpb.TensorProto{DataType: 1, Dims: []int64{2}, RawData: le(0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0)}, []float32{1.5, -2}, nil},
		{"double typed", &onnxpb.TensorProto{DataType: 11, Dims: []int64{1, 2}, DoubleData: []float64{0.1, 1e300}}, []float32{0.1, float32(math.Inf(1))}, nil},
		// 0x3ff8000000000000 is 1.5.
		{"double raw", &onnxpb.TensorProto{DataType: 11, Dims: []int64{1}, RawData: le(0, 0, 0, 0, 0, 0, 0xf8, 0x3f)}, []float32{1.5}, nil},
		{"int64 typed", &onnxpb.TensorProto{DataType: 7, Dims: []int64{2}, Int64Data: []int64{-1, 1 << 40}}, nil, []int64{-1, 1 << 40}},
		{"int64 raw", &onnxpb.TensorProto{DataType: 7, Dims: []int64{1}, RawData: le(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)}, nil, []int64{-2}},
		{"int32 typed", &onnxpb.TensorProto{DataType: 6, Dims: []int64{2}, Int32Data: []int32{-7, 7}}, nil, []int64{-7, 7}},
		{"int32 raw", &onnxpb.TensorProto{DataType: 6, Dims: []int64{1}, RawData: le(0xf9, 0xff, 0xff, 0xff)}, nil, []int64{-7}},
		{"int8 typed", &onnxpb.TensorProto{DataType: 3, Dims: []int64{2}, Int32Data: []int32{-128, 127}}, nil, []int64{-128, 127}},
		{"int8 raw", &onnxpb.TensorProto{DataType: 3, Dims: []int64{2}, RawData: le(0x80, 0x7f)}, nil, []int64{-128, 127}},
		{"uint8 typed", &onnxpb.TensorProto{DataType: 2, Dims: []int64{1}, Int32Data: []int32{255}}, nil, []int64{255}},
		{"uint8 raw", &onnxpb.TensorProto{DataType: 2, Dims: []int64{2}, RawData: le(0xff, 1)}, nil, []int64{255, 1}},
		{"bool typed", &onnxpb.TensorProto{DataType: 9, Dims: []int64{2}, Int32Data: []int32{1, 0}}, nil, []int64{1, 0}},
		{"bool raw", &onnxpb.TensorProto{DataType: 9, Dims: []int64{3}, RawData: le(0, 1, 1)}, nil, []int64{0, 1, 1}},
		{"scalar", &onnxpb.TensorProto{DataType: 1, FloatData: []float32{3}}, []float32{3}, nil},
		{"empty", &onnxpb.TensorProto{DataType: 1, Dims: []int64{0, 5}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.tp.Name = "t"
			mp := modelP(&onnxpb.GraphProto{
				Initializer: []*onnxpb.TensorProto{tt.tp},
				Output:      []*onnxpb.ValueInfoProto{{Name: "t"}},
			})
			got := mustParse(t, mp).Graph.Initializers["t"]
			want := &Tensor{Name: "t", DataType: DataType(tt.tp.DataType), Dims: tt.tp.Dims, Float: tt.float, Int: tt.ints}
			if !equalTensor(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(mp *onnxpb.ModelProto)
		want   string
	}{
		{"no opset", func(mp *onnxpb.ModelProto) { mp.OpsetImport = nil }, `opset_import has no version for the default domain`},
		{"only custom opset", func(mp *onnxpb.ModelProto) {
			mp.OpsetImport = []*onnxpb.OperatorSetIdProto{{Domain: "com.microsoft", Version: 1}}
		}, `opset_import has no version for the default domain`},
		{"conflicting opsets", func(mp *onnxpb.ModelProto) {
			mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "ai.onnx", Version: 11})
		}, `versions 13 and 11`},
		{"no graph", func(mp *onnxpb.ModelProto) { mp.Graph = nil }, `model has no graph`},
		{"missing input", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer = mp.Graph.Initializer[:1] },
			`node "Conv_0" (Conv) input "b": no initializer, graph input or node produces it`},
		{"missing input unnamed node", func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].Name = ""; mp.Graph.Node[1].Input[0] = "q" },
			`node #1 (Relu) input "q": no initializer, graph input or node produces it`},
		{"unsupported type", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer[1] = &onnxpb.TensorProto{Name: "b", DataType: 10, Dims: []int64{3}, RawData: make([]byte, 6)}
		}, `initializer "b": unsupported data type FLOAT16`},
		{"raw too short", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[1].RawData = mp.Graph.Initializer[1].RawData[:11] },
			`initializer "b": shape [3] needs 12 bytes of FLOAT data, raw_data has 11`},
		{"typed too long", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer[0].FloatData = append(mp.Graph.Initializer[0].FloatData, 7)
		},
			`initializer "w": shape [3 2 1 1] needs 6 elements, float_data has 7`},
		{"raw and typed", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].RawData = make([]byte, 24) },
			`initializer "w": both raw_data and float_data are set`},
		{"negative dim", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].Dims = []int64{-3, -2} },
			`initializer "w": negative dimension -3`},
		{"overflowing dims", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].Dims = []int64{1 << 62, 1 << 62, 0} },
			`initializer "w": shape [4611686018427387904 4611686018427387904 0] has more than`},
		{"too many elements", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].Dims = []int64{1 << 20, 1 << 11} },
			`has more than 1073741824 elements`},
		{"int8 out of range", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer = append(mp.Graph.Initializer, &onnxpb.TensorProto{Name: "q", DataType: 3, Dims: []int64{1}, Int32Data: []int32{200}})
		}, `initializer "q": element 0 is 200, outside the range of INT8`},
		{"bool not 0 or 1", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer = append(mp.Graph.Initializer, &onnxpb.TensorProto{Name: "q", DataType: 9, Dims: []int64{1}, RawData: []byte{2}})
		}, `initializer "q": element 0 is 2, outside the range of BOOL`},
		{"unnamed initializer", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[0].Name = "" }, `initializer #0 has no name`},
		{"duplicate initializer", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[1].Name = "w" }, `initializer "w" is listed twice`},
		{"duplicate input", func(mp *onnxpb.ModelProto) { mp.Graph.Input = append(mp.Graph.Input, tensorVI("x")) }, `graph input "x" is listed twice`},
		{"negative input dim", func(mp *onnxpb.ModelProto) {
			mp.Graph.Input[0].Type.GetTensorType().Shape.Dim[1].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: -2}
		}, `graph input "x": dimension 1 is -2`},
		{"output twice", func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].Output[0] = "c" },
			`node "Relu_1" (Relu) output "c": already produced by node "Conv_0" (Conv)`},
		{"output shadows input", func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].Output[0] = "w" },
			`node "Relu_1" (Relu) output "w": already a graph input or initializer`},
		{"cycle", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Input[0] = "y"
			mp.Graph.Node = append(mp.Graph.Node, nodeP("Relu", "Head", []string{"x"}, []string{"h"}))
		}, `node "Conv_0" (Conv): nodes form a cycle`},
		{"unknown output", func(mp *onnxpb.ModelProto) { mp.Graph.Output[0].Name = "z" },
			`graph output "z": no initializer, graph input or node produces it`},
		{"no op type", func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].OpType = "" }, `node "Relu_1" (): node has no op_type`},
		{"duplicate attribute", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = append(mp.Graph.Node[0].Attribute, intAttr("strides", 2))
		}, `node "Conv_0" (Conv): attribute "strides" is listed twice`},
		{"bad constant", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node = append(mp.Graph.Node, nodeP("Constant", "K", nil, []string{"k"}, &onnxpb.AttributeProto{
				Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: &onnxpb.TensorProto{DataType: 8, StringData: [][]byte{[]byte("hi")}},
			}))
		}, `node "K" (Constant): attribute "value": unsupported data type STRING`},
		{"sparse initializer", func(mp *onnxpb.ModelProto) {
			mp.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{Dims: []int64{3}}}
		}, `sparse initializers are not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp := convModel()
			tt.mutate(mp)
			_, err := Parse(marshal(t, mp), t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.want)
			}

			// Read must report the same problem, led by the path.
			path := writeFile(t, t.TempDir(), "bad.onnx", mp)
			_, err = Read(path)
			if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read error = %v, want %q then %q", err, path+": ", tt.want)
			}
		})
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.onnx")
	_, err := Read(missing)
	if err == nil || !strings.HasPrefix(err.Error(), missing+": ") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) = %v, want a not-exist error led by the path", err)
	}

	garbage := filepath.Join(dir, "garbage.onnx")
	if err := os.WriteFile(garbage, []byte("\xff\xff\xff\xff not protobuf"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Read(garbage)
	if err == nil || !strings.HasPrefix(err.Error(), garbage+": not an ONNX model") {
		t.Errorf("Read(garbage) = %v", err)
	}
}

func TestParseSortsNodes(t *testing.T) {
	// a -> b -> c plus an independent d, stored as c, d, b, a.
	mp := modelP(&onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeP("Add", "c", []string{"b_out", "a_out"}, []string{"c_out"}),
			nodeP("Relu", "d", []string{"x"}, []string{"d_out"}),
			nodeP("Relu", "b", []string{"a_out"}, []string{"b_out"}),
			nodeP("Relu", "a", []string{"x"}, []string{"a_out"}),
		},
		Input:  []*onnxpb.ValueInfoProto{tensorVI("x", 1)},
		Output: []*onnxpb.ValueInfoProto{tensorVI("c_out", 1), tensorVI("d_out", 1)},
	})
	var names []string
	for _, n := range mustParse(t, mp).Graph.Nodes {
		names = append(names, n.Name)
	}
	// The earliest ready node in file order goes first.
	if want := []string{"d", "a", "b", "c"}; !slices.Equal(names, want) {
		t.Errorf("order = %v, want %v", names, want)
	}

	// A sorted file keeps its order even where another order is valid.
	mp.Graph.Node = []*onnxpb.NodeProto{mp.Graph.Node[3], mp.Graph.Node[2], mp.Graph.Node[0], mp.Graph.Node[1]}
	names = names[:0]
	for _, n := range mustParse(t, mp).Graph.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(names, want) {
		t.Errorf("order = %v, want %v", names, want)
	}
}

func TestOptionalInputsAndOutputs(t *testing.T) {
	// Empty names mark omitted optional inputs and outputs.
	mp := modelP(&onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeP("Clip", "clip", []string{"x", "", "hi"}, []string{"y"}),
			nodeP("Dropout", "drop", []string{"y"}, []string{"z", ""}),
		},
		Initializer: []*onnxpb.TensorProto{floatData("hi", nil, 6)},
		Input:       []*onnxpb.ValueInfoProto{tensorVI("x", 1)},
		Output:      []*onnxpb.ValueInfoProto{tensorVI("z", 1)},
	})
	m := mustParse(t, mp)
	if got := m.Graph.Nodes[0].Inputs; !slices.Equal(got, []string{"x", "", "hi"}) {
		t.Errorf("Clip inputs = %q", got)
	}
}

func TestConstantNodes(t *testing.T) {
	mp := modelP(&onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeP("Constant", "k_tensor", nil, []string{"k1"}, &onnxpb.AttributeProto{
				Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: rawFloat("", []int64{2}, 1, 2),
			}),
			nodeP("Constant", "k_float", nil, []string{"k2"}, floatAttr("value_float", 0.5)),
			nodeP("Constant", "k_floats", nil, []string{"k3"}, &onnxpb.AttributeProto{
				Name: "value_floats", Type: onnxpb.AttributeProto_FLOATS, Floats: []float32{1, 2, 3},
			}),
			nodeP("Constant", "k_int", nil, []string{"k4"}, intAttr("value_int", -4)),
			nodeP("Constant", "k_ints", nil, []string{"k5"}, intsAttr("value_ints", 1, 2)),
			nodeP("Constant", "k_int_tensor", nil, []string{"k6"}, &onnxpb.AttributeProto{
				Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: int64Data("", []int64{1}, 9),
			}),
			nodeP("Sum", "sum", []string{"k1", "k2", "k3"}, []string{"s"}),
			nodeP("Reshape", "reshape", []string{"s", "k5"}, []string{"r"}),
		},
		Output: []*onnxpb.ValueInfoProto{tensorVI("r"), {Name: "k4"}, {Name: "k6"}},
	})
	m := mustParse(t, mp)
	want := map[string]*Tensor{
		"k_tensor":     {Name: "", DataType: Float, Dims: []int64{2}, Float: []float32{1, 2}},
		"k_float":      {Name: "k2", DataType: Float, Dims: []int64{}, Float: []float32{0.5}},
		"k_floats":     {Name: "k3", DataType: Float, Dims: []int64{3}, Float: []float32{1, 2, 3}},
		"k_int":        {Name: "k4", DataType: Int64, Dims: []int64{}, Int: []int64{-4}},
		"k_ints":       {Name: "k5", DataType: Int64, Dims: []int64{2}, Int: []int64{1, 2}},
		"k_int_tensor": {Name: "", DataType: Int64, Dims: []int64{1}, Int: []int64{9}},
	}
	for _, n := range m.Graph.Nodes {
		got, ok := n.ConstantTensor()
		if w := want[n.Name]; ok != (w != nil) || !equalTensor(got, w) {
			t.Errorf("%s: ConstantTensor() = %+v, %v; want %+v", n.Name, got, ok, w)
		}
	}
	if a := m.Graph.Nodes[0].Attrs["value"]; a.Type != AttrTensor {
		t.Errorf("value attribute has type %v, want AttrTensor", a.Type)
	}
}

func TestAttributes(t *testing.T) {
	np := nodeP("Op", "n", nil, []string{"y"},
		intAttr("i", 3),
		intsAttr("is", 1, 2),
		floatAttr("f", 0.25),
		&onnxpb.AttributeProto{Name: "fs", Type: onnxpb.AttributeProto_FLOATS, Floats: []float32{0.5}},
		&onnxpb.AttributeProto{Name: "s", Type: onnxpb.AttributeProto_STRING, S: []byte("NOTSET")},
		&onnxpb.AttributeProto{Name: "ss", Type: onnxpb.AttributeProto_STRINGS, Strings: [][]byte{[]byte("a"), []byte("b")}},
		&onnxpb.AttributeProto{Name: "g", Type: onnxpb.AttributeProto_GRAPH, G: &onnxpb.GraphProto{Name: "body"}},
		// Pre-IR-2 files leave type unset.
		&onnxpb.AttributeProto{Name: "old_i", I: 5},
		&onnxpb.AttributeProto{Name: "old_fs", Floats: []float32{1, 2}},
	)
	np.Domain = "custom"
	mp := modelP(&onnxpb.GraphProto{Node: []*onnxpb.NodeProto{np}, Output: []*onnxpb.ValueInfoProto{{Name: "y"}}})
	n := mustParse(t, mp).Graph.Nodes[0]

	tests := []struct {
		name      string
		got, want any
	}{
		{"AttrInt", n.AttrInt("i", -1), int64(3)},
		{"AttrInt default", n.AttrInt("missing", -1), int64(-1)},
		{"AttrInt wrong kind", n.AttrInt("f", -1), int64(-1)},
		{"AttrInt untyped", n.AttrInt("old_i", -1), int64(5)},
		{"AttrInts", n.AttrInts("is", nil), []int64{1, 2}},
		{"AttrInts default", n.AttrInts("i", []int64{9}), []int64{9}},
		{"AttrFloat", n.AttrFloat("f", 1), float32(0.25)},
		{"AttrFloat default", n.AttrFloat("missing", 1), float32(1)},
		{"AttrString", n.AttrString("s", ""), "NOTSET"},
		{"AttrString default", n.AttrString("i", "x"), "x"},
		{"Floats", n.Attrs["fs"].Floats, []float32{0.5}},
		{"Floats untyped", n.Attrs["old_fs"].Floats, []float32{1, 2}},
		{"Strings", n.Attrs["ss"].Strings, []string{"a", "b"}},
		{"graph kind", n.Attrs["g"].Type, AttrUndefined},
		{"HasAttr graph", n.HasAttr("g"), true},
		{"HasAttr missing", n.HasAttr("missing"), false},
		{"Domain", n.Domain, "custom"},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}

	// Helpers work on nodes built in memory, without an Attrs map too.
	var bare Node
	if bare.AttrInt("i", 7) != 7 || bare.HasAttr("i") {
		t.Error("helpers on a node without attributes")
	}
}

func TestProducerConsumers(t *testing.T) {
	mp := modelP(&onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeP("Relu", "a", []string{"x"}, []string{"a_out"}),
			nodeP("Add", "b", []string{"a_out", "a_out"}, []string{"b_out"}),
			nodeP("Mul", "c", []string{"x", "a_out"}, []string{"c_out"}),
		},
		Input:  []*onnxpb.ValueInfoProto{tensorVI("x", 1)},
		Output: []*onnxpb.ValueInfoProto{tensorVI("b_out", 1), tensorVI("c_out", 1)},
	})
	g := mustParse(t, mp).Graph
	names := func(ns []*Node) []string {
		var s []string
		for _, n := range ns {
			s = append(s, n.Name)
		}
		return s
	}
	tests := []struct {
		value     string
		producer  string
		consumers []string
	}{
		{"x", "", []string{"a", "c"}},
		{"a_out", "a", []string{"b", "c"}}, // b uses it twice, listed once
		{"b_out", "b", nil},
		{"", "", nil},
		{"nothing", "", nil},
	}
	for _, tt := range tests {
		p := g.Producer(tt.value)
		if (p == nil && tt.producer != "") || (p != nil && p.Name != tt.producer) {
			t.Errorf("Producer(%q) = %v, want %q", tt.value, p, tt.producer)
		}
		if got := names(g.Consumers(tt.value)); !slices.Equal(got, tt.consumers) {
			t.Errorf("Consumers(%q) = %v, want %v", tt.value, got, tt.consumers)
		}
	}
}

func TestDataTypeString(t *testing.T) {
	if got := Float.String(); got != "FLOAT" {
		t.Errorf("Float.String() = %q", got)
	}
	if got := DataType(99).String(); got != "DataType(99)" {
		t.Errorf("DataType(99).String() = %q", got)
	}
}
