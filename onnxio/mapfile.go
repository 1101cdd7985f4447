package onnxio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// MapFile returns the content of the file at path and the function that
// releases it; the bytes must not be used, nor kept, after the release.
// On Linux the file is mapped into memory read-only: its bytes are the
// page cache's own, where reading would copy them into as much fresh
// memory, which the system must zero (on a virtual machine, at a high
// price: see onnxio/bench/RESULTS.md). Elsewhere, and for files that
// cannot be mapped, it reads them. Errors start with path.
func MapFile(path string) (data []byte, release func(), err error) {
	data, release, err = mapFile(path)
	if err != nil {
		// The path goes first, as in every other error, rather than after
		// the operation as *fs.PathError puts it.
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, release, nil
}

// readFile is mapFile where nothing is mapped: the file read whole.
func readFile(path string) ([]byte, func(), error) {
	data, err := os.ReadFile(path)
	return data, func() {}, err
}
