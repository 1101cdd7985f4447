package onnxio

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// attrFromProto converts one attribute. Kinds elight does not interpret
// (graphs, sparse tensors, lists of tensors, type protos) become an
// Attribute of type AttrUndefined so that HasAttr still sees them; Write
// takes their value from the proto.
func attrFromProto(pa *onnxpb.AttributeProto, dir string) (Attribute, error) {
	switch attrType(pa) {
	case onnxpb.AttributeProto_FLOAT:
		return Attribute{Type: AttrFloat, Float: pa.GetF()}, nil
	case onnxpb.AttributeProto_INT:
		return Attribute{Type: AttrInt, Int: pa.GetI()}, nil
	case onnxpb.AttributeProto_STRING:
		return Attribute{Type: AttrString, String: string(pa.GetS())}, nil
	case onnxpb.AttributeProto_TENSOR:
		if pa.GetT() == nil {
			return Attribute{}, errors.New("tensor attribute holds no tensor")
		}
		t, err := decodeTensor(pa.GetT(), dir)
		if err != nil {
			return Attribute{}, err
		}
		return Attribute{Type: AttrTensor, Tensor: t}, nil
	case onnxpb.AttributeProto_FLOATS:
		return Attribute{Type: AttrFloats, Floats: slices.Clone(pa.GetFloats())}, nil
	case onnxpb.AttributeProto_INTS:
		return Attribute{Type: AttrInts, Ints: slices.Clone(pa.GetInts())}, nil
	case onnxpb.AttributeProto_STRINGS:
		s := make([]string, len(pa.GetStrings()))
		for i, b := range pa.GetStrings() {
			s[i] = string(b)
		}
		return Attribute{Type: AttrStrings, Strings: s}, nil
	}
	return Attribute{Type: AttrUndefined}, nil
}

// attrType returns the kind of pa. Files written before IR version 2 leave
// the type field unset; the kind is then inferred from the field in use, as
// the ONNX checker does.
func attrType(pa *onnxpb.AttributeProto) onnxpb.AttributeProto_AttributeType {
	if t := pa.GetType(); t != onnxpb.AttributeProto_UNDEFINED {
		return t
	}
	switch {
	case pa.GetT() != nil:
		return onnxpb.AttributeProto_TENSOR
	case pa.GetG() != nil:
		return onnxpb.AttributeProto_GRAPH
	case len(pa.GetFloats()) > 0:
		return onnxpb.AttributeProto_FLOATS
	case len(pa.GetInts()) > 0:
		return onnxpb.AttributeProto_INTS
	case len(pa.GetStrings()) > 0:
		return onnxpb.AttributeProto_STRINGS
	case pa.GetF() != 0:
		return onnxpb.AttributeProto_FLOAT
	case pa.GetI() != 0:
		return onnxpb.AttributeProto_INT
	case pa.GetS() != nil:
		return onnxpb.AttributeProto_STRING
	}
	return onnxpb.AttributeProto_UNDEFINED
}

// attrToProto builds the proto of an attribute elight created or changed.
func attrToProto(name string, a Attribute) (*onnxpb.AttributeProto, error) {
	pa := &onnxpb.AttributeProto{Name: name}
	switch a.Type {
	case AttrFloat:
		pa.Type, pa.F = onnxpb.AttributeProto_FLOAT, a.Float
	case AttrInt:
		pa.Type, pa.I = onnxpb.AttributeProto_INT, a.Int
	case AttrString:
		pa.Type, pa.S = onnxpb.AttributeProto_STRING, []byte(a.String)
	case AttrTensor:
		if a.Tensor == nil {
			return nil, fmt.Errorf("attribute %q: tensor attribute holds no tensor", name)
		}
		t, err := encodeTensor(a.Tensor)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		pa.Type, pa.T = onnxpb.AttributeProto_TENSOR, t
	case AttrFloats:
		pa.Type, pa.Floats = onnxpb.AttributeProto_FLOATS, slices.Clone(a.Floats)
	case AttrInts:
		pa.Type, pa.Ints = onnxpb.AttributeProto_INTS, slices.Clone(a.Ints)
	case AttrStrings:
		pa.Type = onnxpb.AttributeProto_STRINGS
		for _, s := range a.Strings {
			pa.Strings = append(pa.Strings, []byte(s))
		}
	default:
		return nil, fmt.Errorf("attribute %q: type %d cannot be written", name, a.Type)
	}
	return pa, nil
}

// equalAttr reports whether a and b hold the same value, comparing floats
// bit for bit.
func equalAttr(a, b Attribute) bool {
	same := func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }
	if a.Type != b.Type {
		return false
	}
	switch a.Type {
	case AttrFloat:
		return same(a.Float, b.Float)
	case AttrInt:
		return a.Int == b.Int
	case AttrString:
		return a.String == b.String
	case AttrTensor:
		return equalTensor(a.Tensor, b.Tensor)
	case AttrFloats:
		return slices.EqualFunc(a.Floats, b.Floats, same)
	case AttrInts:
		return slices.Equal(a.Ints, b.Ints)
	case AttrStrings:
		return slices.Equal(a.Strings, b.Strings)
	}
	return true
}
