package onnxio

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/elight-photonic/elight/onnxio/onnxtest"
)

// TestRewrittenExportsCheckAndRunIdentically writes every testdata export
// back unchanged and with BatchNorm folded: onnx.checker must accept both,
// and onnxruntime must give bit-identical outputs for the unchanged copy and
// torch's logits (to 1e-4 of their range) for the folded one.
func TestRewrittenExportsCheckAndRunIdentically(t *testing.T) {
	models, _ := filepath.Glob("../testdata/*/*.onnx")
	if len(models) == 0 {
		t.Fatal("no testdata exports")
	}
	for _, path := range models {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dir := t.TempDir()
			input := filepath.Join(filepath.Dir(path), "input.npy")
			m, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			same := filepath.Join(dir, "same.onnx")
			if err := Write(same, m); err != nil {
				t.Fatal(err)
			}
			if _, err := FoldBatchNorm(m); err != nil {
				t.Fatal(err)
			}
			folded := filepath.Join(dir, "folded.onnx")
			if err := Write(folded, m); err != nil {
				t.Fatal(err)
			}
			onnxtest.Check(t, same, folded)

			original := onnxtest.RunORT(t, path, input)
			if got := onnxtest.RunORT(t, same, input); !slices.Equal(got.Float, original.Float) {
				t.Errorf("onnxruntime outputs of the rewritten model differ from the original's")
			}
			torch := onnxtest.ReadNpy(t, filepath.Join(filepath.Dir(path), "logits.npy"))
			got := onnxtest.RunORT(t, folded, input)
			if diff, span := onnxtest.MaxAbsDiff(got.Float, torch.Float), onnxtest.Range(torch.Float); diff > 1e-4*span {
				t.Errorf("folded model: onnxruntime differs from torch by %.3g (logits range %.3g)", diff, span)
			}
		})
	}
}
