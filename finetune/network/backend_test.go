package network

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
)

// onnxNodeTests is where Debian's libonnx-testdata installs ONNX's own
// backend tests: one folder per case with model.onnx and reference tensors.
const onnxNodeTests = "/usr/share/libonnx-testdata/data/node"

// backendOps are the operators whose ONNX backend test cases must all pass,
// by the lower-case name prefix of the test folders.
var backendOps = []string{
	"conv", "basic_conv", "gemm", "matmul", "batchnorm", "relu", "clip", "leakyrelu",
	"sigmoid", "maxpool", "averagepool", "globalaveragepool", "globalmaxpool", "add",
	"flatten", "reshape", "dropout", "identity", "constant_pad", "edge_pad", "reflect_pad",
	"concat", "softmax", "sub", "mul", "div", "unsqueeze", "squeeze", "shape", "constant",
	"transpose", "reduce_mean",
}

// backendUnsupported lists the cases of those operators that elight does
// not run, with the reason; every other case must pass.
var backendUnsupported = map[string]string{
	"test_add_uint8":                                  "uint8 data: elight computes in float32",
	"test_sub_uint8":                                  "uint8 data: elight computes in float32",
	"test_mul_uint8":                                  "uint8 data: elight computes in float32",
	"test_div_uint8":                                  "uint8 data: elight computes in float32",
	"test_maxpool_2d_uint8":                           "uint8 data: elight computes in float32",
	"test_clip_default_int8_inbounds":                 "int8 data: elight computes in float32",
	"test_clip_default_int8_max":                      "int8 data: elight computes in float32",
	"test_clip_default_int8_min":                      "int8 data: elight computes in float32",
	"test_batchnorm_epsilon_training_mode":            "training-mode BatchNormalization",
	"test_batchnorm_example_training_mode":            "training-mode BatchNormalization",
	"test_averagepool_3d_default":                     "3-D pooling",
	"test_maxpool_3d_default":                         "3-D pooling",
	"test_maxpool_with_argmax_2d_precomputed_pads":    "MaxPool indices output",
	"test_maxpool_with_argmax_2d_precomputed_strides": "MaxPool indices output",
	"test_identity_opt":                               "optional type",
	"test_identity_sequence":                          "sequence type",
	"test_matmulinteger":                              "integer MatMul",
	"test_convinteger_with_padding":                   "integer Conv",
	"test_convinteger_without_padding":                "integer Conv",
	"test_basic_convinteger":                          "integer Conv",
	"test_convtranspose":                              "ConvTranspose",
	"test_training_dropout":                           "training-mode Dropout",
	"test_edge_pad":                                   "int32 data: elight computes in float32",
	"test_reflect_pad":                                "int32 data: elight computes in float32",
}

func TestONNXBackendNodeTests(t *testing.T) {
	entries, err := os.ReadDir(onnxNodeTests)
	if err != nil {
		t.Fatalf("ONNX backend tests not found (%v): install Debian's libonnx-testdata (apt-get install libonnx-testdata)", err)
	}
	ran := 0
	for _, e := range entries {
		name := e.Name()
		if !isBackendCase(name) {
			continue
		}
		if reason, skip := unsupportedCase(name); skip {
			t.Logf("%s: not run: %s", name, reason)
			continue
		}
		ran++
		t.Run(strings.TrimPrefix(name, "test_"), func(t *testing.T) {
			runBackendCase(t, filepath.Join(onnxNodeTests, name))
		})
	}
	if ran < 130 {
		t.Fatalf("only %d backend cases ran; expected the full set of supported operators", ran)
	}
	t.Logf("%d ONNX backend cases ran", ran)
}

// pytorchConvertedTests holds ONNX's tests converted from PyTorch modules;
// its Conv2d cases cover grouped and depthwise convolution, and its
// Sigmoid the gate of squeeze-excitation blocks.
const pytorchConvertedTests = "/usr/share/libonnx-testdata/data/pytorch-converted"

// TestPyTorchConvertedConvTests runs every 2-D convolution case (plain,
// grouped, depthwise, with a channel multiplier, dilated, strided, padded,
// without bias) and Sigmoid.
func TestPyTorchConvertedConvTests(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(pytorchConvertedTests, "test_Conv2d*"))
	if err != nil || len(dirs) < 10 {
		t.Fatalf("%d Conv2d cases under %s (%v): install Debian's libonnx-testdata", len(dirs), pytorchConvertedTests, err)
	}
	for _, dir := range append(dirs, filepath.Join(pytorchConvertedTests, "test_Sigmoid")) {
		t.Run(strings.TrimPrefix(filepath.Base(dir), "test_"), func(t *testing.T) { runBackendCase(t, dir) })
	}
}

func isBackendCase(name string) bool {
	rest := strings.TrimPrefix(name, "test_")
	if strings.HasSuffix(rest, "_expanded") {
		return false // expanded forms exercise other operators (ReduceMax, Exp, ...)
	}
	for _, op := range backendOps {
		if rest == op || strings.HasPrefix(rest, op+"_") {
			return true
		}
	}
	return false
}

func unsupportedCase(name string) (string, bool) {
	if reason, ok := backendUnsupported[name]; ok {
		return reason, true
	}
	for prefix, reason := range backendUnsupported {
		if strings.HasPrefix(name, prefix+"_") {
			return reason, true
		}
	}
	return "", false
}

func runBackendCase(t *testing.T, dir string) {
	m, err := onnxio.Read(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		t.Fatal("no test_data_set folders")
	}
	for _, set := range sets {
		inputs := map[string]*onnxio.Tensor{}
		for i, in := range m.Graph.Inputs {
			tensor, err := onnxio.ReadTensorFile(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				t.Fatal(err)
			}
			inputs[in.Name] = tensor
		}
		net, err := Build(m, inputs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := net.Run(inputs)
		if err != nil {
			t.Fatal(err)
		}
		for i, out := range got {
			want, err := onnxio.ReadTensorFile(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := closeTensors(out, want, 1e-3, 1e-5); err != nil {
				t.Errorf("%s output %d (%s): %v", filepath.Base(set), i, out.Name, err)
			}
		}
	}
}

// closeTensors compares like numpy.testing.assert_allclose, as ONNX's
// backend runner does.
func closeTensors(got, want *onnxio.Tensor, rtol, atol float64) error {
	if fmt.Sprint(got.Dims) != fmt.Sprint(want.Dims) {
		return fmt.Errorf("shape %v, want %v", got.Dims, want.Dims)
	}
	g, w := asFloat64(got), asFloat64(want)
	if len(g) != len(w) {
		return fmt.Errorf("%d elements, want %d", len(g), len(w))
	}
	var bad []string
	for i := range g {
		if math.IsInf(w[i], 0) && g[i] == w[i] {
			continue
		}
		if math.Abs(g[i]-w[i]) > atol+rtol*math.Abs(w[i]) || math.IsNaN(g[i]) != math.IsNaN(w[i]) {
			bad = append(bad, fmt.Sprintf("[%d] %g != %g", i, g[i], w[i]))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("%d of %d elements differ: %s", len(bad), len(g), strings.Join(bad[:min(len(bad), 5)], ", "))
	}
	return nil
}

func asFloat64(t *onnxio.Tensor) []float64 {
	out := make([]float64, 0, t.NumElements())
	for _, v := range t.Float {
		out = append(out, float64(v))
	}
	for _, v := range t.Int {
		out = append(out, float64(v))
	}
	return out
}
