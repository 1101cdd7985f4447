package onnxio

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteStreamsSizes writes files of sizes around the disk writer's
// block and buffer sizes, in writes of varied lengths, and reads them back.
func TestWriteStreamsSizes(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 4095, 4096, 4097, 3 * 4096, 4<<20 - 1, 4 << 20, 4<<20 + 1, 9<<20 + 123}
	for _, size := range sizes {
		for _, chunk := range []int{1 << 30, 1000, 4096, 5 << 20} {
			t.Run(fmt.Sprintf("%d bytes in writes of %d", size, chunk), func(t *testing.T) {
				want := make([]byte, size)
				for i := range want {
					want[i] = byte(rng.Uint32())
				}
				path := filepath.Join(dir, fmt.Sprintf("f%d_%d", size, chunk))
				err := WriteStreamsAtomic([]FileStream{{Path: path, Write: func(w io.Writer) error {
					for rest := want; len(rest) > 0; {
						n := min(chunk, len(rest))
						if k, err := w.Write(rest[:n]); k != n || err != nil {
							return fmt.Errorf("wrote %d of %d bytes: %v", k, n, err)
						}
						rest = rest[n:]
					}
					return nil
				}}})
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("read back %d bytes, wrote %d; first difference at %d", len(got), len(want), firstDifference(got, want))
				}
			})
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(sizes)*4 {
		t.Errorf("%d files in the folder, want %d: temporary files left behind?", len(entries), len(sizes)*4)
	}
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
