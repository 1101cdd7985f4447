package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/onnxio/npy"
)

// readTensor reads a NumPy .npy file or a serialized ONNX TensorProto (.pb,
// as in ONNX test_data_set folders), chosen by extension.
func readTensor(path string) (*onnxio.Tensor, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pb":
		return onnxio.ReadTensorFile(path)
	case ".npy":
		a, err := npy.ReadFile(path)
		if err != nil {
			return nil, err
		}
		dims := make([]int64, len(a.Shape))
		for i, d := range a.Shape {
			dims[i] = int64(d)
		}
		if a.IsFloat() {
			return &onnxio.Tensor{DataType: onnxio.Float, Dims: dims, Float: a.Float}, nil
		}
		return &onnxio.Tensor{DataType: onnxio.Int64, Dims: dims, Int: a.Int}, nil
	}
	return nil, fmt.Errorf("%s: unknown tensor file type; use .npy (NumPy) or .pb (ONNX TensorProto)", path)
}

// encodeNpy serializes a tensor as a .npy file: float32 or int64.
func encodeNpy(t *onnxio.Tensor) ([]byte, error) {
	shape := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		shape[i] = int(d)
	}
	var buf bytes.Buffer
	var err error
	if t.DataType == onnxio.Float {
		err = npy.WriteFloat32(&buf, shape, t.Float)
	} else {
		err = npy.WriteInt64(&buf, shape, t.Int)
	}
	return buf.Bytes(), err
}

// namedPaths parses repeated NAME=PATH flag values; a bare PATH is allowed
// when names holds exactly one entry, which it then gets.
func namedPaths(flag string, values, names []string) (map[string]string, error) {
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	out := map[string]string{}
	for _, v := range values {
		name, path, found := strings.Cut(v, "=")
		switch {
		case found && known[name]:
		case len(names) == 1:
			name, path = names[0], v
		case found:
			return nil, usageError("--%s %s: the model has no %s named %q (it has %s)", flag, v, flag, name, strings.Join(names, ", "))
		default:
			return nil, usageError("--%s %s: the model has %d %ss (%s); write NAME=PATH", flag, v, len(names), flag, strings.Join(names, ", "))
		}
		if _, dup := out[name]; dup {
			return nil, usageError("--%s: %s given twice", flag, name)
		}
		out[name] = path
	}
	return out, nil
}
