package onnxio

import (
	"bytes"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// stripModel has an initializer of every kind the parse strips or keeps:
// plain raw FLOAT (one with a doc string, one empty), raw FLOAT with an
// unknown field, typed FLOAT, raw DOUBLE, and unknown fields around them.
func stripModel() *onnxpb.ModelProto {
	mp := convModel()
	g := mp.Graph
	g.Node = append(g.Node, nodeP("Add", "Add_2", []string{"y", "p"}, []string{"z"}),
		nodeP("Add", "Add_3", []string{"z", "u"}, []string{"v"}),
		nodeP("Add", "Add_4", []string{"v", "d"}, []string{"o"}))
	g.Output = []*onnxpb.ValueInfoProto{tensorVI("o", -1, 3, 4, 4)}
	plain := rawFloat("p", []int64{1}, 2.5)
	plain.DocString = "plain doc"
	odd := rawFloat("u", []int64{1}, -1)
	odd.ProtoReflect().SetUnknown(unknown(1003, 4))
	double := &onnxpb.TensorProto{Name: "d", DataType: int32(Double), Dims: []int64{1}, RawData: []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}}
	empty := rawFloat("e", []int64{0})
	g.Initializer = append(g.Initializer, plain, odd, double, empty)
	mp.ProtoReflect().SetUnknown(unknown(1000, 1))
	g.ProtoReflect().SetUnknown(unknown(1001, 2))
	return mp
}

// TestStripRaw checks which initializers the parse strips, and that the
// stripped proto and the raw_data put back give the file's model.
func TestStripRaw(t *testing.T) {
	mp := stripModel()
	data := marshal(t, mp)
	stripped, raws, ok := stripRaw(data)
	if !ok {
		t.Fatal("stripRaw refused a well-formed model")
	}
	var got onnxpb.ModelProto
	if err := proto.Unmarshal(stripped, &got); err != nil {
		t.Fatal(err)
	}
	// proto3 writes no empty raw_data: e has none to strip.
	wantStripped := []bool{false, true, true, false, false, false} // w b p u d e
	if len(raws) != len(wantStripped) {
		t.Fatalf("%d raw entries, want %d", len(raws), len(wantStripped))
	}
	for i, tp := range got.Graph.Initializer {
		if (raws[i] != nil) != wantStripped[i] {
			t.Errorf("initializer %q stripped: %v, want %v", tp.Name, raws[i] != nil, wantStripped[i])
		}
		if raws[i] != nil {
			if tp.RawData != nil {
				t.Errorf("initializer %q keeps raw_data after stripping", tp.Name)
			}
			tp.RawData = raws[i]
		}
	}
	if !bytes.Equal(marshal(t, &got), data) {
		t.Error("the stripped model with its raw_data put back differs from the file")
	}

	// Two graph fields are merged by the library: stripRaw leaves them to it.
	g := protowire.AppendTag(nil, modelGraph, protowire.BytesType)
	g = protowire.AppendBytes(g, nil)
	if _, _, ok := stripRaw(append(slices.Clone(data), g...)); ok {
		t.Error("stripRaw accepted a model with two graph fields")
	}
	// A truncated file is left to the library, which reports it.
	if _, _, ok := stripRaw(data[:len(data)-1]); ok {
		t.Error("stripRaw accepted a truncated model")
	}
}

// TestMarshalToMatchesLibrary checks the streaming encoder against the
// protobuf library's encoding of the same model with raw_data filled in,
// unchanged and with every initializer replaced.
func TestMarshalToMatchesLibrary(t *testing.T) {
	for _, change := range []bool{false, true} {
		m := mustParse(t, stripModel())
		if change {
			for _, tn := range m.Graph.Initializers {
				c := *tn
				c.Float = slices.Clone(tn.Float)
				for i := range c.Float {
					c.Float[i] *= 3
				}
				m.SetInitializer(&c)
			}
			m.SetInitializer(&Tensor{Name: "new", DataType: Float, Dims: []int64{2}, Float: []float32{1, 2}})
		}
		mp, floats, err := m.encode()
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := marshalTo(&got, mp, floats, nil); err != nil {
			t.Fatal(err)
		}
		for tp, f := range floats {
			tp.RawData = appendFloats(nil, f)
		}
		if want := marshal(t, mp); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("changed %v: marshalTo differs from the library's encoding", change)
		}
		if !change {
			if want := marshal(t, stripModel()); !bytes.Equal(got.Bytes(), want) {
				t.Error("an unchanged model is not written back byte-identical")
			}
		}
	}
}
