//go:build linux

package onnxio

import (
	"errors"
	"io"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directWriter writes a new file past the page cache (O_DIRECT), from an
// aligned buffer of its own. Every output is flushed to disk before it is
// renamed into place, so a copy in the page cache buys nothing, and it
// costs: on a virtual machine that faults in fresh memory at a high price,
// copying VGG16's 970 MB of model and schedule into page-cache pages took
// 15 of the run's 30 CPU seconds, and it evicts as much of what the page
// cache held for other programs.
type directWriter struct {
	f   *os.File
	buf []byte // len directBuffer, its first byte at a multiple of directAlign
	n   int    // bytes of buf waiting to be written
}

const (
	// directAlign is the alignment O_DIRECT asks of the buffer's address,
	// the length and the file offset: the logical block size, 512 bytes
	// or 4 KiB on every disk in use.
	directAlign = 4096
	// directBuffer is the size of one write: large enough that the disk's
	// latency is paid rarely, small enough to stay in cache-warm memory.
	directBuffer = 4 << 20
)

// newDiskWriter returns the writer that fills the new, empty file f: a
// directWriter where the file system takes O_DIRECT, else f itself. Its
// finish must be called once everything is written.
func newDiskWriter(f *os.File) diskWriter {
	if setDirect(f, true) != nil {
		return plainWriter{f}
	}
	raw := make([]byte, directBuffer+directAlign)
	skip := int(-uintptr(unsafe.Pointer(&raw[0])) & (directAlign - 1))
	return &directWriter{f: f, buf: raw[skip : skip+directBuffer]}
}

// Write copies p into the buffer, writing the buffer out each time it
// fills.
func (w *directWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		c := copy(w.buf[w.n:], p)
		w.n, p, written = w.n+c, p[c:], written+c
		if w.n == len(w.buf) {
			if err := w.writeBuffer(len(w.buf)); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// finish writes what the buffer still holds: its whole blocks directly,
// the partial block at the end through the page cache, since O_DIRECT
// cannot write less than a block.
func (w *directWriter) finish() error {
	if err := w.writeBuffer(w.n &^ (directAlign - 1)); err != nil {
		return err
	}
	if w.n == 0 {
		return nil
	}
	if err := setDirect(w.f, false); err != nil {
		return err
	}
	_, err := w.f.Write(w.buf[:w.n])
	w.n = 0
	return err
}

// writeBuffer writes the first n bytes of the buffer, a multiple of
// directAlign, and moves the rest to its start. A file system that accepted
// O_DIRECT but refuses the write (EINVAL) gets the rest of it, and of the
// file, through the page cache.
func (w *directWriter) writeBuffer(n int) error {
	if n == 0 {
		return nil
	}
	if written, err := w.f.Write(w.buf[:n]); err != nil {
		if !errors.Is(err, unix.EINVAL) {
			return err
		}
		if err := setDirect(w.f, false); err != nil {
			return err
		}
		if _, err := w.f.Write(w.buf[written:n]); err != nil {
			return err
		}
	}
	w.n = copy(w.buf, w.buf[n:w.n])
	return nil
}

// setDirect turns f's O_DIRECT flag on or off.
func setDirect(f *os.File, on bool) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var flagErr error
	err = conn.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			flagErr = err
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, flagErr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	if err != nil {
		return err
	}
	if flagErr != nil {
		return &os.PathError{Op: "fcntl O_DIRECT", Path: f.Name(), Err: flagErr}
	}
	return nil
}

var _ io.Writer = (*directWriter)(nil)
