package network

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/onnxio/npy"
)

// TestTestdataExportsMatchTorch runs every committed PyTorch export on its
// reference batches and compares with the logits torch computed.
func TestTestdataExportsMatchTorch(t *testing.T) {
	models, _ := filepath.Glob("../../testdata/*/*.onnx")
	if len(models) < 6 {
		t.Fatalf("found %d testdata exports, want at least 12 (testdata/make_testdata.py writes them)", len(models))
	}
	for _, path := range models {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dir := filepath.Dir(path)
			m, err := onnxio.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, batch := range []string{"", "1"} {
				x := readNpy(t, filepath.Join(dir, "input"+batch+".npy"))
				want := readNpy(t, filepath.Join(dir, "logits"+batch+".npy"))
				got := runOne(t, m, x)
				diff, span := maxAbsDiff(got.Float, want.Float), valueRange(want.Float)
				t.Logf("batch %d: max |elight - torch| = %.3g, logits range %.3g", x.Dims[0], diff, span)
				if diff > 1e-4*span {
					t.Errorf("batch %d: max abs difference %.3g exceeds 1e-4 of the logits' range %.3g", x.Dims[0], diff, span)
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

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

func valueRange(xs []float32) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = min(lo, float64(x)), max(hi, float64(x))
	}
	return hi - lo
}
