package onnxio

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
func WriteFilesAtomic(files map[string][]byte, inputs ...string) (err error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	seen := map[string]string{}
	for _, p := range paths {
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
	temps := map[string]string{}
	defer func() {
		if err != nil {
			for _, tmp := range temps {
				os.Remove(tmp)
			}
		}
	}()
	for _, p := range paths {
		tmp, err := writeTemp(p, files[p])
		if err != nil {
			return err
		}
		temps[p] = tmp
	}
	for _, p := range paths {
		if err := os.Rename(temps[p], p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		delete(temps, p)
	}
	for _, p := range paths {
		syncDir(filepath.Dir(p))
	}
	return nil
}
