package onnxio

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the regular file at path read-only, its pages read in up
// front (MAP_POPULATE) rather than one fault at a time; other files (empty,
// pipes) are read.
func mapFile(path string) ([]byte, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := info.Size()
	if !info.Mode().IsRegular() || size == 0 || size != int64(int(size)) {
		return readFile(path)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return readFile(path)
	}
	return data, func() { unix.Munmap(data) }, nil
}
