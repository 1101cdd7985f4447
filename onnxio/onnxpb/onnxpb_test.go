package onnxpb_test

import (
	"strings"
	"testing"

	gonnx "github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// TestRenamedPackage checks that the messages are registered under
// elight.onnx; linking this test with gonnx, which registers the upstream
// names, also shows that the two no longer clash.
func TestRenamedPackage(t *testing.T) {
	for _, m := range []proto.Message{&onnxpb.ModelProto{}, &onnxpb.TensorProto{}, &onnxpb.TensorShapeProto_Dimension{}} {
		if name := string(m.ProtoReflect().Descriptor().FullName()); !strings.HasPrefix(name, "elight.onnx.") {
			t.Errorf("%T registered as %s, want elight.onnx.*", m, name)
		}
	}
	if name := (&gonnx.ModelProto{}).ProtoReflect().Descriptor().FullName(); name != "onnx.ModelProto" {
		t.Errorf("gonnx's ModelProto is %s", name)
	}
}

// TestWireCompatible checks that the rename left the wire format alone: a
// model encoded by this package decodes with gonnx's upstream messages, and
// back, unchanged.
func TestWireCompatible(t *testing.T) {
	in := &onnxpb.ModelProto{
		IrVersion:     8,
		ProducerName:  "pytorch",
		OpsetImport:   []*onnxpb.OperatorSetIdProto{{Version: 17}},
		MetadataProps: []*onnxpb.StringStringEntryProto{{Key: "k", Value: "v"}},
		Graph: &onnxpb.GraphProto{
			Name: "g",
			Node: []*onnxpb.NodeProto{{
				Input: []string{"x", "w"}, Output: []string{"y"}, OpType: "MatMul",
				Attribute: []*onnxpb.AttributeProto{{Name: "a", Type: onnxpb.AttributeProto_INTS, Ints: []int64{1, -2}}},
			}},
			Initializer: []*onnxpb.TensorProto{{Name: "w", DataType: 1, Dims: []int64{2, 1}, FloatData: []float32{1, 2}}},
			Input: []*onnxpb.ValueInfoProto{{Name: "x", Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
				TensorType: &onnxpb.TypeProto_Tensor{ElemType: 1, Shape: &onnxpb.TensorShapeProto{
					Dim: []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}},
				}},
			}}}},
			Output: []*onnxpb.ValueInfoProto{{Name: "y"}},
		},
	}
	data, err := proto.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var upstream gonnx.ModelProto
	if err := proto.Unmarshal(data, &upstream); err != nil {
		t.Fatal(err)
	}
	if got := upstream.GetGraph().GetInitializer()[0].GetFloatData(); len(got) != 2 || got[1] != 2 {
		t.Errorf("gonnx decoded w as %v", got)
	}
	if len(upstream.ProtoReflect().GetUnknown()) != 0 {
		t.Error("gonnx saw unknown fields")
	}
	back, err := proto.Marshal(&upstream)
	if err != nil {
		t.Fatal(err)
	}
	out := new(onnxpb.ModelProto)
	if err := proto.Unmarshal(back, out); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(in, out) {
		t.Errorf("round trip through gonnx changed the model:\n%v\n%v", in, out)
	}
}
