package onnxio

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// unknown returns a field that no ONNX version defines, as a later ONNX
// version or a vendor extension would add.
func unknown(num protowire.Number, v uint64) protoreflect.RawFields {
	b := protowire.AppendTag(nil, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// richModel is convModel with everything Write must carry through: doc
// strings, metadata, value_info, unknown fields at several levels, an
// initializer listed as an input, and an attribute of a kind the IR does not
// interpret.
func richModel() *onnxpb.ModelProto {
	mp := convModel()
	mp.DocString = "model doc"
	mp.ProducerVersion = "2.3"
	mp.Domain = "ai.elight.test"
	mp.ModelVersion = 7
	mp.MetadataProps = []*onnxpb.StringStringEntryProto{{Key: "author", Value: "lab"}, {Key: "license", Value: "MIT"}}
	mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "com.microsoft", Version: 1})
	g := mp.Graph
	g.DocString = "graph doc"
	g.Node[0].DocString = "conv doc"
	g.Node[1].Attribute = append(g.Node[1].Attribute, &onnxpb.AttributeProto{
		Name: "body", Type: onnxpb.AttributeProto_GRAPH, G: &onnxpb.GraphProto{Name: "sub"},
	})
	g.Initializer[0].DocString = "weight doc"
	g.Input = append(g.Input, tensorVI("b", 3))
	mp.ProtoReflect().SetUnknown(unknown(1000, 1))
	g.ProtoReflect().SetUnknown(unknown(1001, 2))
	g.Node[0].ProtoReflect().SetUnknown(unknown(1002, 3))
	g.Initializer[0].ProtoReflect().SetUnknown(unknown(1003, 4))
	g.Node[0].Attribute[0].ProtoReflect().SetUnknown(unknown(1004, 5))
	return mp
}

func TestRoundTrip(t *testing.T) {
	models := map[string]*onnxpb.ModelProto{
		"conv": convModel(),
		"rich": richModel(),
		"constants": modelP(&onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{
				nodeP("Constant", "k", nil, []string{"k"}, &onnxpb.AttributeProto{
					Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: &onnxpb.TensorProto{DataType: int32(Int8), Dims: []int64{2}, Int32Data: []int32{-3, 4}},
				}),
				nodeP("Cast", "cast", []string{"k"}, []string{"y"}, intAttr("to", 1)),
			},
			Output: []*onnxpb.ValueInfoProto{tensorVI("y", 2)},
		}),
	}
	for name, mp := range models {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "in.onnx", mp)
			m, err := Read(in)
			if err != nil {
				t.Fatal(err)
			}
			out1, out2 := filepath.Join(dir, "out1.onnx"), filepath.Join(dir, "out2.onnx")
			for _, out := range []string{out1, out2} {
				if err := Write(out, m); err != nil {
					t.Fatal(err)
				}
			}
			b0, _ := os.ReadFile(in)
			b1, _ := os.ReadFile(out1)
			b2, _ := os.ReadFile(out2)
			if !bytes.Equal(b1, b2) {
				t.Error("the same model written twice differs")
			}
			// Nothing changed, so nothing is re-encoded: the output is the
			// input byte for byte.
			if !bytes.Equal(b0, b1) {
				t.Error("an unchanged model is not written back byte-identical")
			}
			m2, err := Read(out1)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffModels(m, m2); d != "" {
				t.Error(d)
			}
			if !proto.Equal(readProto(t, out1), mp) {
				t.Error("written proto differs from the input proto")
			}
		})
	}
}

func TestWritePreserves(t *testing.T) {
	dir := t.TempDir()
	m, err := Read(writeFile(t, dir, "in.onnx", richModel()))
	if err != nil {
		t.Fatal(err)
	}
	// Change something so that the graph is rebuilt around the kept parts.
	m.SetMetadata("elight", "folded")
	m.Graph.Nodes[1].Name = "relu"
	out := filepath.Join(dir, "out.onnx")
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	mp := readProto(t, out)
	g := mp.Graph
	checks := []struct {
		name      string
		got, want any
	}{
		{"producer", mp.ProducerName + " " + mp.ProducerVersion, "onnxio-test 2.3"},
		{"domain", mp.Domain, "ai.elight.test"},
		{"model version", mp.ModelVersion, int64(7)},
		{"model doc", mp.DocString, "model doc"},
		{"graph doc", g.DocString, "graph doc"},
		{"node doc", g.Node[0].DocString, "conv doc"},
		{"tensor doc", g.Initializer[0].DocString, "weight doc"},
		{"renamed node", g.Node[1].Name, "relu"},
		{"graph attribute", g.Node[1].Attribute[0].GetG().GetName(), "sub"},
		{"custom opset", len(mp.OpsetImport), 2},
		{"value_info", len(g.ValueInfo), 1},
		{"initializer as input", len(g.Input), 2},
		{"typed weights stay typed", len(g.Initializer[0].FloatData), 6},
		{"raw bias stays raw", len(g.Initializer[1].RawData), 12},
		{"model unknown", string(mp.ProtoReflect().GetUnknown()), string(unknown(1000, 1))},
		{"graph unknown", string(g.ProtoReflect().GetUnknown()), string(unknown(1001, 2))},
		{"node unknown", string(g.Node[0].ProtoReflect().GetUnknown()), string(unknown(1002, 3))},
		{"tensor unknown", string(g.Initializer[0].ProtoReflect().GetUnknown()), string(unknown(1003, 4))},
		{"attribute unknown", string(g.Node[0].Attribute[0].ProtoReflect().GetUnknown()), string(unknown(1004, 5))},
	}
	for _, c := range checks {
		if !equalAny(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	wantMeta := []string{"author=lab", "license=MIT", "elight=folded"}
	var meta []string
	for _, kv := range mp.MetadataProps {
		meta = append(meta, kv.Key+"="+kv.Value)
	}
	if !slices.Equal(meta, wantMeta) {
		t.Errorf("metadata_props = %v, want %v", meta, wantMeta)
	}
}

func equalAny(a, b any) bool { return a == b }

func TestWriteChanges(t *testing.T) {
	dir := t.TempDir()
	m, err := Read(writeFile(t, dir, "in.onnx", richModel()))
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph

	// Replace w through the API, edit b in place, add an initializer, edit
	// the Conv's attributes, append a node and change a graph input.
	m.SetInitializer(&Tensor{Name: "w", DataType: Float, Dims: []int64{3, 2, 1, 1}, Float: []float32{6, 5, 4, 3, 2, 1}})
	g.Initializers["b"].Float[0] = 9
	m.SetInitializer(&Tensor{Name: "k", DataType: Int64, Dims: []int64{1}, Int: []int64{-5}})
	conv := g.Nodes[0]
	conv.Attrs["strides"] = Attribute{Type: AttrInts, Ints: []int64{2, 2}}
	conv.Attrs["group"] = Attribute{Type: AttrInt, Int: 1}
	delete(conv.Attrs, "kernel_shape")
	// A node elight made, with every kind of attribute it can write.
	g.Nodes = append(g.Nodes, &Node{
		Name: "made", OpType: "Custom", Domain: "ai.elight", Inputs: []string{"y", "k"}, Outputs: []string{"z"},
		Attrs: map[string]Attribute{
			"f":  {Type: AttrFloat, Float: 0.5},
			"i":  {Type: AttrInt, Int: 2},
			"s":  {Type: AttrString, String: "x"},
			"t":  {Type: AttrTensor, Tensor: &Tensor{DataType: Bool, Dims: []int64{2}, Int: []int64{1, 0}}},
			"fs": {Type: AttrFloats, Floats: []float32{1, 2}},
			"is": {Type: AttrInts, Ints: []int64{3}},
			"ss": {Type: AttrStrings, Strings: []string{"a", "b"}},
		},
	})
	g.Outputs = append(g.Outputs, ValueInfo{Name: "z", DataType: Float, Shape: []Dim{{Value: -1, Param: "N"}, {Value: -1}}})
	g.Inputs[0].Shape[0] = Dim{Value: 1}

	out := filepath.Join(dir, "out.onnx")
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	mp := readProto(t, out)
	ini := map[string]*onnxpb.TensorProto{}
	for _, tp := range mp.Graph.Initializer {
		ini[tp.Name] = tp
	}
	if tp := ini["w"]; len(tp.FloatData) != 0 || !bytes.Equal(tp.RawData, rawFloat("", nil, 6, 5, 4, 3, 2, 1).RawData) || tp.DocString != "weight doc" {
		t.Errorf("changed w written as %v", tp)
	}
	if tp := ini["b"]; !bytes.Equal(tp.RawData, rawFloat("", nil, 9, -0.5, 0.25).RawData) {
		t.Errorf("b edited in place written as %v", tp)
	}
	if tp := ini["k"]; tp == nil || !bytes.Equal(tp.RawData, []byte{0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("new k written as %v", tp)
	}
	if got := mp.Graph.Initializer[2].Name; got != "k" {
		t.Errorf("new initializer at position 2 is %q", got)
	}
	cp := mp.Graph.Node[0]
	var attrNames []string
	for _, a := range cp.Attribute {
		attrNames = append(attrNames, a.Name)
	}
	if !slices.Equal(attrNames, []string{"strides", "group"}) || !slices.Equal(cp.Attribute[0].Ints, []int64{2, 2}) {
		t.Errorf("Conv attributes = %v", cp.Attribute)
	}
	if string(cp.ProtoReflect().GetUnknown()) != string(unknown(1002, 3)) || cp.DocString != "conv doc" {
		t.Error("changing attributes lost the node's doc string or unknown fields")
	}
	if in := mp.Graph.Input[0].Type.GetTensorType().Shape.Dim[0]; in.GetDimValue() != 1 {
		t.Errorf("changed input dim written as %v", in)
	}

	m2, err := Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffModels(m, m2); d != "" {
		t.Error(d)
	}

	// Removing an initializer drops its input and value_info entries too.
	delete(m.Graph.Initializers, "b")
	m.Graph.Nodes[0].Inputs = m.Graph.Nodes[0].Inputs[:2]
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	mp = readProto(t, out)
	for _, vi := range append(mp.Graph.Input, mp.Graph.ValueInfo...) {
		if vi.Name == "b" {
			t.Errorf("removed initializer b still declared: %v", vi)
		}
	}
	if len(mp.Graph.Initializer) != 2 {
		t.Errorf("%d initializers written, want 2", len(mp.Graph.Initializer))
	}
}

func TestWriteDropsStaleValueInfo(t *testing.T) {
	dir := t.TempDir()
	m, err := Read(writeFile(t, dir, "in.onnx", convModel()))
	if err != nil {
		t.Fatal(err)
	}
	// Fuse the Relu away: c no longer exists.
	m.Graph.Nodes[0].Outputs[0] = "y"
	m.Graph.Nodes = m.Graph.Nodes[:1]
	out := filepath.Join(dir, "out.onnx")
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	if vi := readProto(t, out).Graph.ValueInfo; len(vi) != 0 {
		t.Errorf("value_info = %v, want the entry for c dropped", vi)
	}
}

func TestWriteSortsNodes(t *testing.T) {
	dir := t.TempDir()
	m, err := Read(writeFile(t, dir, "in.onnx", convModel()))
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(m.Graph.Nodes)
	out := filepath.Join(dir, "out.onnx")
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	if n := readProto(t, out).Graph.Node; n[0].OpType != "Conv" || n[1].OpType != "Relu" {
		t.Errorf("nodes written as %v, %v", n[0].OpType, n[1].OpType)
	}
	if m.Graph.Nodes[0].OpType != "Relu" {
		t.Error("Write reordered the model's own node list")
	}
}

func TestWriteFromScratch(t *testing.T) {
	m := &Model{
		Opset: 13,
		Graph: &Graph{
			Name:    "scratch",
			Inputs:  []ValueInfo{{Name: "x", DataType: Float, Shape: []Dim{{Value: 1}, {Value: 2}}}},
			Outputs: []ValueInfo{{Name: "y", DataType: Float, Shape: []Dim{{Value: 1}, {Value: 3}}}},
			Nodes: []*Node{{
				Name: "fc", OpType: "Gemm", Inputs: []string{"x", "w"}, Outputs: []string{"y"},
				Attrs: map[string]Attribute{"transB": {Type: AttrInt, Int: 1}},
			}},
		},
	}
	m.SetInitializer(&Tensor{Name: "w", DataType: Float, Dims: []int64{3, 2}, Float: []float32{1, 2, 3, 4, 5, 6}})
	m.SetMetadata("k", "v")
	out := filepath.Join(t.TempDir(), "scratch.onnx")
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	mp := readProto(t, out)
	if mp.IrVersion != 7 || len(mp.OpsetImport) != 1 || mp.OpsetImport[0].Version != 13 {
		t.Errorf("ir_version %d, opset_import %v", mp.IrVersion, mp.OpsetImport)
	}
	m2, err := Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffModels(m, m2); d != "" {
		t.Error(d)
	}
	if m2.Metadata()["k"] != "v" {
		t.Errorf("metadata = %v", m2.Metadata())
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m *Model)
		want   string
	}{
		{"missing input", func(m *Model) { m.Graph.Nodes[1].Inputs[0] = "q" },
			`node "Relu_1" (Relu) input "q": no initializer, graph input or node produces it`},
		{"cycle", func(m *Model) { m.Graph.Nodes[0].Inputs[0] = "y" }, `nodes form a cycle`},
		{"duplicate output", func(m *Model) { m.Graph.Nodes[1].Outputs[0] = "c" }, `already produced by`},
		{"unknown graph output", func(m *Model) { m.Graph.Outputs[0].Name = "q" }, `graph output "q"`},
		{"input is initializer", func(m *Model) { m.Graph.Inputs = append(m.Graph.Inputs, ValueInfo{Name: "w"}) },
			`graph input "w" is listed twice or is also an initializer`},
		{"misnamed initializer", func(m *Model) { m.Graph.Initializers["v"] = m.Graph.Initializers["w"] },
			`initializer "v": Initializers must map a tensor's name to the tensor`},
		{"short tensor", func(m *Model) {
			m.SetInitializer(&Tensor{Name: "b", DataType: Float, Dims: []int64{3}, Float: []float32{1}})
		},
			`initializer "b": shape [3] needs 3 FLOAT elements, tensor holds 1 Float and 0 Int`},
		{"unsupported type", func(m *Model) { m.SetInitializer(&Tensor{Name: "b", DataType: 10, Dims: []int64{}}) },
			`initializer "b": unsupported data type FLOAT16`},
		{"out of range", func(m *Model) {
			m.SetInitializer(&Tensor{Name: "b", DataType: Uint8, Dims: []int64{1}, Int: []int64{256}})
		},
			`initializer "b": element 0 is 256, outside the range of UINT8`},
		{"unwritable attribute", func(m *Model) { m.Graph.Nodes[1].Attrs["a"] = Attribute{} },
			`node "Relu_1" (Relu): attribute "a": type 0 cannot be written`},
		{"nil tensor attribute", func(m *Model) { m.Graph.Nodes[1].Attrs["a"] = Attribute{Type: AttrTensor} },
			`attribute "a": tensor attribute holds no tensor`},
		{"no opset", func(m *Model) { m.Opset = 0 }, `opset 0 is not a valid version`},
		{"no graph", func(m *Model) { m.Graph = nil }, `model has no graph`},
		{"nil node", func(m *Model) { m.Graph.Nodes = append(m.Graph.Nodes, nil) }, `node #2 is nil`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			m, err := Read(writeFile(t, dir, "in.onnx", convModel()))
			if err != nil {
				t.Fatal(err)
			}
			tt.mutate(m)
			out := filepath.Join(dir, "out.onnx")
			err = Write(out, m)
			if err == nil || !strings.HasPrefix(err.Error(), out+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write error = %v, want %q then %q", err, out+": ", tt.want)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"in.onnx"}) {
				t.Errorf("folder holds %v after a failed write", names)
			}
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteRefusesInputFile(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "model.onnx", convModel())
	m, err := Read(in)
	if err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.onnx")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	soft := filepath.Join(dir, "soft.onnx")
	if err := os.Symlink("model.onnx", soft); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(in)
	for _, out := range []string{in, filepath.Join(dir, "sub", "..", "model.onnx"), dir + "/./model.onnx", hard, soft} {
		err := Write(out, m)
		if err == nil || !strings.Contains(err.Error(), "refusing to overwrite the model's input file") ||
			!strings.Contains(err.Error(), "choose another output path") {
			t.Errorf("Write(%s) = %v, want a refusal", out, err)
		}
	}
	if after, _ := os.ReadFile(in); !bytes.Equal(before, after) {
		t.Error("input file changed")
	}
	// A model parsed from bytes has no input file to protect.
	m.Path = ""
	if err := Write(filepath.Join(dir, "copy.onnx"), m); err != nil {
		t.Error(err)
	}
}

func TestWriteReplacesFile(t *testing.T) {
	dir := t.TempDir()
	m, err := Read(writeFile(t, dir, "in.onnx", convModel()))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.onnx")
	if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the replaced file's 0600", fi.Mode().Perm())
	}
	if _, err := Read(out); err != nil {
		t.Error(err)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"in.onnx", "out.onnx"}) {
		t.Errorf("folder holds %v", names)
	}

	if err := Write(filepath.Join(dir, "no", "such", "dir.onnx"), m); err == nil {
		t.Error("Write into a missing folder succeeded")
	}
}

func TestMetadata(t *testing.T) {
	mp := convModel()
	mp.MetadataProps = []*onnxpb.StringStringEntryProto{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "a", Value: "3"}}
	m := mustParse(t, mp)
	if got := m.Metadata(); len(got) != 2 || got["a"] != "3" || got["b"] != "2" {
		t.Errorf("Metadata() = %v", got)
	}
	m.SetMetadata("a", "x")
	m.SetMetadata("c", "y")
	var got []string
	for _, kv := range m.proto.MetadataProps {
		got = append(got, kv.Key+"="+kv.Value)
	}
	if want := []string{"a=x", "b=2", "c=y"}; !slices.Equal(got, want) {
		t.Errorf("metadata_props = %v, want %v", got, want)
	}
	if (&Model{}).Metadata() == nil {
		t.Error("Metadata of an empty model is nil")
	}
}
