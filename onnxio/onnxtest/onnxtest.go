// Package onnxtest runs the reference tools elight's tests compare against:
// onnxruntime-node (the reference runtime) and onnx.checker. Both are
// installed by testdata/setup.sh; a test that needs a missing tool fails
// with the command that installs it, so CI cannot pass without them.
package onnxtest

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/elight-photonic/elight/onnxio/npy"
)

// Root returns the repository root: the nearest folder above the test's
// working directory that holds go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("onnxtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// RunORT runs model on the float32 .npy input with onnxruntime-node and
// returns its first output.
func RunORT(t testing.TB, model, input string) *npy.Array {
	t.Helper()
	root := Root(t)
	script := filepath.Join(root, "testdata", "ort", "run.js")
	if _, err := os.Stat(filepath.Join(root, "testdata", "ort", "node_modules", "onnxruntime-node")); err != nil {
		t.Fatal("onnxruntime-node is not installed: run bash testdata/setup.sh")
	}
	out := filepath.Join(t.TempDir(), "ort_out.npy")
	run(t, "node", script, model, input, out)
	a, err := npy.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Check runs onnx.checker.check_model(full_check=True) on the model files.
func Check(t testing.TB, models ...string) {
	t.Helper()
	args := append([]string{filepath.Join(Root(t), "testdata", "check_onnx.py")}, models...)
	run(t, "/usr/bin/python3", args...)
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s(testdata/setup.sh installs the reference tools)", name, args, err, stderr.String())
	}
}

// ReadNpy reads a .npy file or fails the test.
func ReadNpy(t testing.TB, path string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// MaxAbsDiff is the largest |a[i] - b[i]|, +Inf when the lengths differ.
func MaxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// Range is max(xs) - min(xs).
func Range(xs []float32) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = min(lo, float64(x)), max(hi, float64(x))
	}
	return hi - lo
}
