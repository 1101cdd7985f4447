package onnxio

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// WriteFileAtomic writes data to path through a temporary file in the same
// folder that is renamed into place, so readers never see a half-written
// file and an interrupted run leaves none behind. It refuses to replace any
// of the inputs files, which are the files the run read.
func WriteFileAtomic(path string, data []byte, inputs ...string) error {
	return WriteFilesAtomic(map[string][]byte{path: data}, inputs...)
}

// WriteFilesAtomic writes several files as one: all are written to
// temporary files and flushed first, and only then renamed into place, so a
// failure while writing leaves none of them. It refuses paths that are one
// of the inputs or that two files share.
func WriteFilesAtomic(files map[string][]byte, inputs ...string) error {
	streams := make([]FileStream, 0, len(files))
	for p, data := range files {
		streams = append(streams, FileStream{Path: p, Write: func(w io.Writer) error {
			if _, err := w.Write(data); err != nil {
				return fmt.Errorf("writing: %w", err)
			}
			return nil
		}})
	}
	slices.SortFunc(streams, func(a, b FileStream) int { return strings.Compare(a.Path, b.Path) })
	return WriteStreamsAtomic(streams, inputs...)
}

// FileStream is one file of WriteStreamsAtomic: its path and the function
// that writes its content.
type FileStream struct {
	Path  string
	Write func(io.Writer) error
}

// WriteStreamsAtomic is WriteFilesAtomic for files written as they are
// made, so that none need be held in memory whole. Every Write runs at
// once, each in a goroutine of its own, on a temporary file (a Write that
// needs what another works out, such as its digest, waits for it); only
// when all succeeded and are flushed to disk are they renamed into place,
// in the order given. If some failed, the error is the first one's in
// that order. On Linux the files are written past the page cache
// (O_DIRECT) where the file system allows it.
func WriteStreamsAtomic(files []FileStream, inputs ...string) (err error) {
	seen := map[string]string{}
	for _, f := range files {
		p := f.Path
		for _, in := range inputs {
			if err := checkNotInput(p, in); err != nil {
				return err
			}
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if other, dup := seen[abs]; dup {
			return fmt.Errorf("%s and %s are the same file; give each output its own path", other, p)
		}
		seen[abs] = p
	}
	// For a VGG16 the schedule and the model, 415 and 553 MB, are encoded
	// and flushed side by side.
	temps := make([]*os.File, len(files))
	errs := make([]error, len(files))
	var writing sync.WaitGroup
	for i, f := range files {
		writing.Go(func() {
			if temps[i], errs[i] = writeTemp(f.Path, f.Write); errs[i] == nil {
				errs[i] = flushTemp(f.Path, temps[i])
			}
		})
	}
	writing.Wait()
	defer func() {
		if err != nil {
			for _, tmp := range temps {
				if tmp != nil {
					os.Remove(tmp.Name())
				}
			}
		}
	}()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	for i, f := range files {
		if err := os.Rename(temps[i].Name(), f.Path); err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		temps[i] = nil
	}
	for _, f := range files {
		syncDir(filepath.Dir(f.Path))
	}
	return nil
}
