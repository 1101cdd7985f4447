package elight

import (
	"fmt"
	"path/filepath"

	"github.com/elight-photonic/elight/onnxio"
)

// source is the model file of an optimize run. Each stage that needs a
// model of its own (the float one, the one quantized before fine-tuning,
// each checkpoint the search measures) parses the bytes again; once no
// stage will, drop lets them go: they are as large as the weights.
type source struct {
	data []byte
	path string
}

// load parses the file and folds its BatchNorms.
func (s *source) load() (*onnxio.Model, error) {
	if s.data == nil {
		return nil, fmt.Errorf("%s: the model's bytes were already let go", s.path)
	}
	m, err := onnxio.Parse(s.data, filepath.Dir(s.path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	m.Path = s.path
	_, err = onnxio.FoldBatchNorm(m)
	return m, err
}

// drop lets the file's bytes go; load fails after it.
func (s *source) drop() { s.data = nil }
