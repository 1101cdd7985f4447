package onnxio

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDiskWriterIsDirect checks that a file system that takes O_DIRECT
// gets its outputs written past the page cache, and that the flag is off
// once the last, partial block is written.
func TestDiskWriterIsDirect(t *testing.T) {
	dir := t.TempDir()
	probe, err := os.OpenFile(filepath.Join(dir, "probe"), os.O_CREATE|os.O_WRONLY|unix.O_DIRECT, 0o644)
	if err != nil {
		t.Skipf("%s does not take O_DIRECT: %v", dir, err)
	}
	probe.Close()
	f, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, ok := newDiskWriter(f).(*directWriter)
	if !ok {
		t.Fatalf("newDiskWriter on %s: %T, want *directWriter", dir, w)
	}
	if _, err := w.Write(make([]byte, directBuffer+10)); err != nil {
		t.Fatal(err)
	}
	if !hasDirect(t, f) {
		t.Error("O_DIRECT is off while writing")
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	if hasDirect(t, f) {
		t.Error("O_DIRECT is still on after the partial block")
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != directBuffer+10 {
		t.Errorf("file size %v (%v), want %d", fi.Size(), err, directBuffer+10)
	}
}

func hasDirect(t *testing.T, f *os.File) bool {
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return flags&unix.O_DIRECT != 0
}
