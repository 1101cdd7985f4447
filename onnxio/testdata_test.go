package onnxio

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadRepoTestdata reads every model the project keeps under
// testdata/, such as real PyTorch exports, and writes it back.
func TestReadRepoTestdata(t *testing.T) {
	root := filepath.Join("..", "testdata")
	var paths []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".onnx") {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Skip("no .onnx files under ../testdata")
	}
	for _, path := range paths {
		t.Run(filepath.ToSlash(path), func(t *testing.T) {
			m, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out.onnx")
			if err := Write(out, m); err != nil {
				t.Fatal(err)
			}
			m2, err := Read(out)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffModels(m, m2); d != "" {
				t.Error(d)
			}
		})
	}
}
