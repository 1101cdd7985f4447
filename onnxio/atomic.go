package onnxio

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// checkNotInput refuses to let Write replace the file the model was read
// from: if anything went wrong between reading and writing, the user would
// be left without the original export.
func checkNotInput(out, in string) error {
	if in == "" {
		return nil
	}
	if SameFile(out, in) {
		return fmt.Errorf("%s: refusing to overwrite the model's input file %s; choose another output path", out, in)
	}
	return nil
}

// SameFile reports whether paths a and b name one file: the same absolute
// path (whether or not it exists yet), or, through links or a
// case-insensitive file system, one existing file.
func SameFile(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA == nil && errB == nil && absA == absB {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// writeTemp writes what write writes to a temporary file beside path, with
// the permissions path has (0644 for a new file), and returns it still
// open: flushTemp flushes and closes it. write's errors are prefixed with
// path.
func writeTemp(path string, write func(io.Writer) error) (_ *os.File, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// CreateTemp makes the file private; a model is no secret, and
	// replacing an existing file should not change who can read it.
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := f.Chmod(mode); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	w := newDiskWriter(f)
	if err := write(w); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := w.finish(); err != nil {
		return nil, fmt.Errorf("%s: writing: %w", path, err)
	}
	return f, nil
}

// flushTemp flushes the temporary file f of path to disk and closes it.
func flushTemp(path string, f *os.File) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%s: flushing to disk: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// syncDir makes renames in dir durable. The new files are already in place,
// so a failure here (some file systems cannot sync a folder) is not worth
// failing the write for.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
