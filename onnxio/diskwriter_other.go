//go:build !linux

package onnxio

import "os"

// newDiskWriter returns the writer that fills the new, empty file f: f
// itself. Only Linux writes past the page cache (diskwriter_linux.go).
func newDiskWriter(f *os.File) diskWriter { return plainWriter{f} }
