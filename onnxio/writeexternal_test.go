package onnxio

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
	"github.com/elight-photonic/elight/onnxio/onnxtest"
)

// TestWriteExternalData lowers the inline limit so that a testdata export
// counts as too large for one file: Write must put its weights in a data
// file that Read, onnx.checker and onnxruntime accept, with the same
// outputs as the model written inline.
func TestWriteExternalData(t *testing.T) {
	path := "../testdata/resnet/resnet_bnfold_op13.onnx"
	m, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inline := filepath.Join(dir, "inline.onnx")
	if err := Write(inline, m); err != nil {
		t.Fatal(err)
	}
	if p := ExternalDataPath(inline, m); p != "" {
		t.Fatalf("ExternalDataPath = %q at the default limit, want none", p)
	}

	defer func(old int64) { maxInline = old }(maxInline)
	maxInline = 4096
	out := filepath.Join(dir, "split.onnx")
	if p := ExternalDataPath(out, m); p != out+".data" {
		t.Fatalf("ExternalDataPath = %q, want %s.data", p, out)
	}
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	if _, err := Marshal(m); !errors.Is(err, errTooLarge) {
		t.Errorf("Marshal of a model over the limit: %v, want errTooLarge", err)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"inline.onnx", "split.onnx", "split.onnx.data"}) {
		t.Errorf("files written: %v", names)
	}

	external, small := 0, 0
	for _, tp := range readProto(t, out).Graph.Initializer {
		switch {
		case tp.DataLocation == onnxpb.TensorProto_EXTERNAL:
			external++
			if len(tp.RawData) != 0 {
				t.Errorf("%s: external and raw_data", tp.Name)
			}
		case tp.DataType == int32(Float) && len(tp.RawData) >= minExternal:
			t.Errorf("%s: %d bytes left inline", tp.Name, len(tp.RawData))
		default:
			small++
		}
	}
	if external == 0 || small == 0 {
		t.Errorf("%d external and %d inline initializers, want some of each", external, small)
	}
	m2, err := Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffModels(m, m2); d != "" {
		t.Error(d)
	}
	if want := []string{out + ".data"}; !slices.Equal(m2.DataFiles, want) {
		t.Errorf("DataFiles = %v, want %v", m2.DataFiles, want)
	}
	// A copy of the model file still reads its weights from split.onnx.data:
	// writing it as split.onnx would replace that input, so Write refuses.
	copied := filepath.Join(dir, "copy.onnx")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, b, 0o644); err != nil {
		t.Fatal(err)
	}
	m3, err := Read(copied)
	if err != nil {
		t.Fatal(err)
	}
	err = Write(out, m3)
	if err == nil || !strings.Contains(err.Error(), "refusing to overwrite the model's input file "+out+".data") {
		t.Errorf("Write over the input's external data: %v, want a refusal", err)
	}
	// Written again, the files are the same bytes.
	again := t.TempDir()
	if err := Write(filepath.Join(again, "split.onnx"), m2); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"split.onnx", "split.onnx.data"} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(again, name))
		if !slices.Equal(a, b) {
			t.Errorf("%s differs when written again", name)
		}
	}

	onnxtest.Check(t, out)
	input := filepath.Join(filepath.Dir(path), "input.npy")
	if got, want := onnxtest.RunORT(t, out, input), onnxtest.RunORT(t, inline, input); !slices.Equal(got.Float, want.Float) {
		t.Error("onnxruntime outputs of the model with external data differ from the inline model's")
	}
}
