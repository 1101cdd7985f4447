package onnxio

import (
	"bufio"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// marshalOptions is how every message is encoded. ONNX has no map fields,
// so Deterministic changes nothing today; it states the promise and keeps
// it if a future schema adds maps.
var marshalOptions = proto.MarshalOptions{Deterministic: true}

// marshalTo writes the encoding of mp to w, where the tensors in floats get
// raw_data holding the little-endian bytes of their floats. The bytes are
// those marshalOptions.Marshal would give for mp with that raw_data set,
// without ever holding them: the model, graph and tensors around the
// weights are encoded on their own, and the weights streamed between them.
//
// This relies on how the library lays a message out: its known fields in
// field-number order, then its unknown fields. So the fields before a field
// N, then N, then the rest, encode the whole message.
func marshalTo(w io.Writer, mp *onnxpb.ModelProto, floats map[*onnxpb.TensorProto][]float32, metadata LateMetadata) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := writeModel(bw, mp, floats, metadata); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	return nil
}

// writeModel does the work of marshalTo.
func writeModel(w *bufio.Writer, mp *onnxpb.ModelProto, floats map[*onnxpb.TensorProto][]float32, metadata LateMetadata) error {
	// tail is the fields after the graph as they are before metadata
	// sets its entries, at most a few kilobytes short of the final ones: well
	// inside maxInline's margin for the size check.
	head, tail, err := splitAt(mp, modelGraph)
	if err != nil {
		return err
	}
	w.Write(head)
	if g := mp.GetGraph(); g != nil {
		gHead, gTail, err := splitAt(g, graphInitializer)
		if err != nil {
			return err
		}
		// The tensors are encoded one at a time, once for their size and
		// once to be written, so that only one is held at a time.
		size := len(gHead) + len(gTail)
		for _, tp := range g.GetInitializer() {
			n, err := tensorSize(tp, floats)
			if err != nil {
				return err
			}
			size += protowire.SizeTag(graphInitializer) + protowire.SizeBytes(n)
		}
		if int64(size)+int64(len(head)+len(tail)) >= 1<<31 {
			return errTooLarge
		}
		w.Write(protowire.AppendTag(nil, modelGraph, protowire.BytesType))
		w.Write(protowire.AppendVarint(nil, uint64(size)))
		w.Write(gHead)
		for _, tp := range g.GetInitializer() {
			if err := writeTensor(w, tp, floats); err != nil {
				return err
			}
		}
		w.Write(gTail)
	}
	// The fields after the graph, metadata_props among them, are encoded
	// only now, with the entries metadata sets.
	if metadata != nil {
		if err := metadata(func(key, value string) { setMetadata(mp, key, value) }); err != nil {
			return err
		}
	}
	if _, tail, err = splitAt(mp, modelGraph); err != nil {
		return err
	}
	w.Write(tail)
	return nil
}

// tensorSize returns the length of tp's encoding, with raw_data from floats
// where it is there.
func tensorSize(tp *onnxpb.TensorProto, floats map[*onnxpb.TensorProto][]float32) (int, error) {
	f, ok := floats[tp]
	if !ok {
		return marshalOptions.Size(tp), nil
	}
	head, tail, err := splitAt(tp, tensorRawData)
	if err != nil {
		return 0, err
	}
	return len(head) + rawSize(len(f)) + len(tail), nil
}

// rawSize returns the length of the raw_data field holding n floats: none
// for n = 0, as proto3 leaves an empty field out.
func rawSize(n int) int {
	if n == 0 {
		return 0
	}
	return protowire.SizeTag(tensorRawData) + protowire.SizeBytes(4*n)
}

// writeTensor writes tp as an initializer field of its graph.
func writeTensor(w *bufio.Writer, tp *onnxpb.TensorProto, floats map[*onnxpb.TensorProto][]float32) error {
	w.Write(protowire.AppendTag(nil, graphInitializer, protowire.BytesType))
	f, ok := floats[tp]
	if !ok {
		data, err := marshalOptions.Marshal(tp)
		if err != nil {
			return fmt.Errorf("encoding protobuf: %w", err)
		}
		w.Write(protowire.AppendVarint(nil, uint64(len(data))))
		w.Write(data)
		return nil
	}
	head, tail, err := splitAt(tp, tensorRawData)
	if err != nil {
		return err
	}
	w.Write(protowire.AppendVarint(nil, uint64(len(head)+rawSize(len(f))+len(tail))))
	w.Write(head)
	if len(f) > 0 {
		w.Write(protowire.AppendTag(nil, tensorRawData, protowire.BytesType))
		w.Write(protowire.AppendVarint(nil, uint64(4*len(f))))
		chunk := make([]byte, 0, 1<<16)
		for len(f) > 0 {
			n := min(len(f), cap(chunk)/4)
			chunk = appendFloats(chunk[:0], f[:n])
			w.Write(chunk)
			f = f[n:]
		}
	}
	w.Write(tail)
	return nil
}

// splitAt returns the encodings of m's fields numbered below num and of
// those above it together with m's unknown fields. The two messages share
// m's field values: nothing is copied but the encodings.
func splitAt(m proto.Message, num protoreflect.FieldNumber) (head, tail []byte, err error) {
	r := m.ProtoReflect()
	h, t := r.New(), r.New()
	r.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Number() < num:
			h.Set(fd, v)
		case fd.Number() > num:
			t.Set(fd, v)
		}
		return true
	})
	t.SetUnknown(r.GetUnknown())
	if head, err = marshalOptions.Marshal(h.Interface()); err != nil {
		return nil, nil, fmt.Errorf("encoding protobuf: %w", err)
	}
	if tail, err = marshalOptions.Marshal(t.Interface()); err != nil {
		return nil, nil, fmt.Errorf("encoding protobuf: %w", err)
	}
	return head, tail, nil
}
