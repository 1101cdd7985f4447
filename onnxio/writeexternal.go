package onnxio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// LateMetadata sets metadata entries of a model as it is written (see
// Streams) through set, which works as Model.SetMetadata does.
type LateMetadata func(set func(key, value string)) error

// maxInline is the most FLOAT initializer data, in bytes, a model file
// holds itself; a model with more is written with external data (see
// Streams). protobuf cannot encode a message of 2 GiB or more, and the
// margin leaves room for the graph and the other initializers. A variable
// so that tests need no 2 GiB model.
var maxInline int64 = 2<<30 - 128<<20

// minExternal is the size, in bytes, from which a FLOAT initializer of such
// a model goes to the data file: onnx's own default threshold.
const minExternal = 1024

// externalAlign is the alignment of each tensor in the data file, so that
// a runtime can map tensors from it rather than read them.
const externalAlign = 4096

// ExternalDataPath returns the file Write puts m's weights in when they are
// too large for one protobuf message (over 2 GiB in all): path + ".data",
// or "" when m fits in path alone.
func ExternalDataPath(path string, m *Model) string {
	if !m.needsExternal() {
		return ""
	}
	return path + ".data"
}

// needsExternal reports whether m's FLOAT initializers are too large to be
// written inline.
func (m *Model) needsExternal() bool {
	if m == nil || m.Graph == nil {
		return false
	}
	var n int64
	for _, t := range m.Graph.Initializers {
		if t != nil && t.DataType == Float {
			n += 4 * int64(len(t.Float))
		}
	}
	return n > maxInline
}

// Streams returns the files Write writes for m at path (see
// WriteStreamsAtomic): the model and, when m is too large for one file (see
// ExternalDataPath), the data file before it, which then holds every FLOAT
// initializer of minExternal bytes and more as ONNX external data, each at
// an offset aligned to 4096 bytes. m is encoded as each file is written;
// it must not change in between.
//
// metadata, when not nil, is called by the model's stream once the graph,
// nearly all of the file, is written: the entries it sets (as SetMetadata
// would) go into the written file's metadata_props, which follows the
// graph, and not into m. They may depend on another file written at the
// same time, such as its digest.
func Streams(path string, m *Model, metadata LateMetadata) []FileStream {
	data := ExternalDataPath(path, m)
	location := ""
	if data != "" {
		location = filepath.Base(data)
	}
	model := FileStream{Path: path, Write: func(w io.Writer) error {
		mp, floats, _, err := m.encodeExternal(location)
		if err != nil {
			return err
		}
		return marshalTo(w, mp, floats, metadata)
	}}
	if data == "" {
		return []FileStream{model}
	}
	return []FileStream{{Path: data, Write: func(w io.Writer) error {
		_, _, external, err := m.encodeExternal(location)
		if err != nil {
			return err
		}
		return writeExternalData(w, external)
	}}, model}
}

// encodeExternal is encode, with the FLOAT initializers of minExternal
// bytes and more moved to external data at location unless location is
// empty; external holds their elements in the data file's order.
func (m *Model) encodeExternal(location string) (mp *onnxpb.ModelProto, floats map[*onnxpb.TensorProto][]float32, external [][]float32, err error) {
	mp, floats, err = m.encode()
	if err != nil || location == "" {
		return mp, floats, nil, err
	}
	var offset int64
	for _, tp := range mp.Graph.Initializer {
		f, ok := floats[tp]
		if !ok || 4*len(f) < minExternal {
			continue
		}
		offset = (offset + externalAlign - 1) / externalAlign * externalAlign
		length := 4 * int64(len(f))
		tp.DataLocation = onnxpb.TensorProto_EXTERNAL
		tp.ExternalData = []*onnxpb.StringStringEntryProto{
			{Key: "location", Value: location},
			{Key: "offset", Value: strconv.FormatInt(offset, 10)},
			{Key: "length", Value: strconv.FormatInt(length, 10)},
		}
		delete(floats, tp)
		external = append(external, f)
		offset += length
	}
	return mp, floats, external, nil
}

// writeExternalData writes the data file of encodeExternal's external
// tensors: each little-endian, padded with zeros to externalAlign.
func writeExternalData(w io.Writer, external [][]float32) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var offset int64
	chunk := make([]byte, 0, 1<<16)
	for _, f := range external {
		if pad := (externalAlign - offset%externalAlign) % externalAlign; pad > 0 {
			bw.Write(make([]byte, pad))
			offset += pad
		}
		offset += 4 * int64(len(f))
		for len(f) > 0 {
			n := min(len(f), cap(chunk)/4)
			chunk = appendFloats(chunk[:0], f[:n])
			bw.Write(chunk)
			f = f[n:]
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	return nil
}

// errTooLarge is MarshalTo's error for a model that needs a data file.
var errTooLarge = errors.New("the model's weights are over 2 GiB, more than one protobuf message holds: write it with Write, or the files of Streams, which put them in external data")
