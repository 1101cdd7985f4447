package onnxio

import "google.golang.org/protobuf/encoding/protowire"

// Field numbers of the ONNX messages stripRaw walks.
const (
	modelGraph       = 7 // ModelProto.graph
	graphInitializer = 5 // GraphProto.initializer
	tensorDims       = 1 // TensorProto.dims
	tensorDataType   = 2 // TensorProto.data_type
	tensorName       = 8 // TensorProto.name
	tensorRawData    = 9 // TensorProto.raw_data
	tensorDocString  = 12
)

// stripRaw returns data with the raw_data of the main graph's plain FLOAT
// initializers left out, and those raw_data, aliasing data, one entry per
// initializer in file order (nil where it was kept). ok is false when data
// is not laid out as stripRaw expects (it is then to be unmarshalled as it
// is, which also reports any error).
//
// The protobuf library copies every bytes field it decodes: unmarshalling
// a model as it is holds its weights twice, and the IR a third time. A
// plain initializer is one with no fields but dims, data_type (FLOAT), name,
// raw_data and doc_string; Write encodes such a tensor from the IR alone,
// so leaving its raw_data out of the kept proto loses nothing.
func stripRaw(data []byte) (stripped []byte, raws [][]byte, ok bool) {
	seenGraph := false
	stripped, ok = rewriteField(data, modelGraph, func(graph []byte) ([]byte, bool) {
		if seenGraph {
			return nil, false // merged graphs: leave them to the library
		}
		seenGraph = true
		g, r, ok := stripGraph(graph)
		raws = r
		return g, ok
	})
	return stripped, raws, ok
}

// stripGraph is stripRaw for the bytes of a GraphProto.
func stripGraph(data []byte) (stripped []byte, raws [][]byte, ok bool) {
	stripped, ok = rewriteField(data, graphInitializer, func(tensor []byte) ([]byte, bool) {
		t, raw := stripTensor(tensor)
		raws = append(raws, raw)
		return t, true
	})
	return stripped, raws, ok
}

// rewriteField copies the fields of the message in data, with the value of
// every length-delimited field numbered num replaced by what replace
// returns for it. ok is false when data is not a well-formed message or
// replace says no.
func rewriteField(data []byte, num protowire.Number, replace func(value []byte) ([]byte, bool)) (out []byte, ok bool) {
	out = make([]byte, 0, 1<<12)
	for b := data; len(b) > 0; {
		n, typ, tagLen := protowire.ConsumeTag(b)
		if tagLen < 0 {
			return nil, false
		}
		fieldLen := protowire.ConsumeFieldValue(n, typ, b[tagLen:])
		if fieldLen < 0 {
			return nil, false
		}
		if n != num || typ != protowire.BytesType {
			out = append(out, b[:tagLen+fieldLen]...)
			b = b[tagLen+fieldLen:]
			continue
		}
		v, _ := protowire.ConsumeBytes(b[tagLen:])
		w, ok := replace(v)
		if !ok {
			return nil, false
		}
		out = protowire.AppendTag(out, n, typ)
		out = protowire.AppendBytes(out, w)
		b = b[tagLen+fieldLen:]
	}
	return out, true
}

// stripTensor returns the bytes of a TensorProto without its raw_data, and
// the raw_data, if the tensor is plain (see stripRaw); otherwise data as it
// is and nil.
func stripTensor(data []byte) (stripped, raw []byte) {
	var dataType uint64
	raws := 0
	for b := data; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return data, nil
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return data, nil
		}
		// A field of an unexpected wire type is an unknown field to the
		// library, which makes the tensor not plain.
		switch {
		case num == tensorDims && (typ == protowire.VarintType || typ == protowire.BytesType),
			num == tensorName && typ == protowire.BytesType,
			num == tensorDocString && typ == protowire.BytesType:
		case num == tensorDataType && typ == protowire.VarintType:
			dataType, _ = protowire.ConsumeVarint(b[n:])
		case num == tensorRawData && typ == protowire.BytesType:
			raw, _ = protowire.ConsumeBytes(b[n:])
			raws++
		default:
			return data, nil
		}
		b = b[n+m:]
	}
	if raws != 1 || dataType != uint64(Float) {
		return data, nil
	}
	out := make([]byte, 0, len(data)-len(raw))
	for b := data; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if num != tensorRawData {
			out = append(out, b[:n+m]...)
		}
		b = b[n+m:]
	}
	if raw == nil {
		raw = []byte{} // present but empty: an empty tensor
	}
	return out, raw
}
