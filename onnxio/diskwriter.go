package onnxio

import (
	"io"
	"os"
)

// diskWriter is what fills a temporary output file: an io.Writer whose
// finish writes out whatever it still holds.
type diskWriter interface {
	io.Writer
	finish() error
}

// plainWriter writes straight to the file, through the page cache.
type plainWriter struct{ *os.File }

func (plainWriter) finish() error { return nil }
