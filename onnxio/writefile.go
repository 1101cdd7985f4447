package onnxio

import (
	"errors"
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
// made, so that none need be held in memory whole: each Write is called in
// the order given (a later one may use what an earlier one worked out,
// such as a digest) on a temporary file; only when all succeeded are they
// renamed into place.
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
	// Each file is flushed to disk while the next is written: for a VGG16
	// the schedule's flush overlaps the model's encoding.
	temps := map[string]string{}
	flushed := make([]error, len(files))
	var flushing sync.WaitGroup
	defer func() {
		flushing.Wait()
		if err != nil {
			for _, tmp := range temps {
				os.Remove(tmp)
			}
		}
	}()
	for i, f := range files {
		tmp, err := writeTemp(f.Path, f.Write)
		if err != nil {
			return err
		}
		temps[f.Path] = tmp.Name()
		flushing.Go(func() { flushed[i] = flushTemp(f.Path, tmp) })
	}
	flushing.Wait()
	if err := errors.Join(flushed...); err != nil {
		return err
	}
	for _, f := range files {
		p := f.Path
		if err := os.Rename(temps[p], p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		delete(temps, p)
	}
	for _, f := range files {
		syncDir(filepath.Dir(f.Path))
	}
	return nil
}
