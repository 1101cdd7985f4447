package onnxio

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMapFile checks that MapFile gives a file's bytes as os.ReadFile
// does, an empty file included, and names the path when it fails.
func TestMapFile(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 4095, 4096, 100000} {
		path := filepath.Join(dir, "f")
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(i*7 + 3)
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		got, release, err := MapFile(path)
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%d bytes: MapFile gave %d bytes that differ from the file's", size, len(got))
		}
		release()
	}
	missing := filepath.Join(dir, "missing.onnx")
	if _, _, err := MapFile(missing); err == nil || !strings.HasPrefix(err.Error(), missing+": ") {
		t.Errorf("MapFile(%s) error %v, want one starting with the path", missing, err)
	}
}
