package onnxio

import (
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// ReadTensorFile reads a serialized TensorProto, the format of the
// input_N.pb and output_N.pb files in ONNX test_data_set folders.
func ReadTensorFile(path string) (*Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(data, &tp); err != nil {
		return nil, fmt.Errorf("%s: not a serialized ONNX TensorProto: %w", path, err)
	}
	t, err := decodeTensor(&tp, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: tensor %q: %w", path, tp.GetName(), err)
	}
	return t, nil
}
