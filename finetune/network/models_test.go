package network

import (
	"path/filepath"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/onnxio/npy"
	"github.com/elight-photonic/elight/onnxio/onnxtest"
)

// TestTestdataExportsMatchTorch runs every committed PyTorch export on its
// reference batches and compares with the logits torch computed.
func TestTestdataExportsMatchTorch(t *testing.T) {
	models, _ := filepath.Glob("../../testdata/*/*.onnx")
	if len(models) < 13 {
		t.Fatalf("found %d testdata exports, want at least 12 (testdata/make_testdata.py writes them)", len(models))
	}
	for _, path := range models {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dir := filepath.Dir(path)
			m, err := onnxio.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			folded, err := onnxio.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := onnxio.FoldBatchNorm(folded); err != nil {
				t.Fatal(err)
			}
			for _, batch := range []string{"", "1"} {
				input := filepath.Join(dir, "input"+batch+".npy")
				x := readNpy(t, input)
				torch := readNpy(t, filepath.Join(dir, "logits"+batch+".npy"))
				span := onnxtest.Range(torch.Float)
				results := map[string][]float32{
					"elight":                   runOne(t, m, x).Float,
					"elight, BatchNorm folded": runOne(t, folded, x).Float,
					"onnxruntime":              onnxtest.RunORT(t, path, input).Float,
				}
				for who, got := range results {
					diff := onnxtest.MaxAbsDiff(got, torch.Float)
					t.Logf("batch %d: max |%s - torch| = %.3g (logits range %.3g)", x.Dims[0], who, diff, span)
					if diff > 1e-4*span {
						t.Errorf("batch %d: %s differs from torch by %.3g, more than 1e-4 of the logits' range %.3g", x.Dims[0], who, diff, span)
					}
				}
			}
		})
	}
}

func readNpy(t testing.TB, path string) *onnxio.Tensor {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dims := make([]int64, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = int64(d)
	}
	if a.IsFloat() {
		return &onnxio.Tensor{DataType: onnxio.Float, Dims: dims, Float: a.Float}
	}
	return &onnxio.Tensor{DataType: onnxio.Int64, Dims: dims, Int: a.Int}
}

func runOne(t testing.TB, m *onnxio.Model, x *onnxio.Tensor) *onnxio.Tensor {
	t.Helper()
	inputs := map[string]*onnxio.Tensor{m.Graph.Inputs[0].Name: x}
	net, err := Build(m, inputs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := net.Run(inputs)
	if err != nil {
		t.Fatal(err)
	}
	return outs[0]
}
