package onnxio

import (
	"fmt"
	"slices"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// valueInfoFromProto converts a graph input or output. Values that are not
// tensors (sequences, maps, optionals) get DataType 0 and no shape.
func valueInfoFromProto(vi *onnxpb.ValueInfoProto) (ValueInfo, error) {
	v := ValueInfo{Name: vi.GetName()}
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return v, nil
	}
	v.DataType = DataType(tt.GetElemType())
	if tt.GetShape() == nil {
		return v, nil
	}
	v.Shape = make([]Dim, len(tt.GetShape().GetDim()))
	for i, d := range tt.GetShape().GetDim() {
		switch x := d.GetValue().(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			if x.DimValue < 0 {
				return v, fmt.Errorf("dimension %d is %d", i, x.DimValue)
			}
			v.Shape[i] = Dim{Value: x.DimValue}
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			v.Shape[i] = Dim{Value: -1, Param: x.DimParam}
		default:
			v.Shape[i] = Dim{Value: -1} // unknown and unnamed
		}
	}
	return v, nil
}

// valueInfoToProto builds the proto of a graph input or output that elight
// created or changed.
func valueInfoToProto(v ValueInfo) *onnxpb.ValueInfoProto {
	tt := &onnxpb.TypeProto_Tensor{ElemType: int32(v.DataType)}
	if v.Shape != nil {
		tt.Shape = &onnxpb.TensorShapeProto{Dim: make([]*onnxpb.TensorShapeProto_Dimension, len(v.Shape))}
		for i, d := range v.Shape {
			pd := &onnxpb.TensorShapeProto_Dimension{}
			switch {
			case d.Value >= 0:
				pd.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d.Value}
			case d.Param != "":
				pd.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d.Param}
			}
			tt.Shape.Dim[i] = pd
		}
	}
	return &onnxpb.ValueInfoProto{
		Name: v.Name,
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}},
	}
}

// equalValueInfo reports whether a and b declare the same name, type and
// shape; a nil shape (undeclared) differs from an empty one (scalar).
func equalValueInfo(a, b ValueInfo) bool {
	return a.Name == b.Name && a.DataType == b.DataType &&
		(a.Shape == nil) == (b.Shape == nil) && slices.Equal(a.Shape, b.Shape)
}
