//go:build !linux

package onnxio

// mapFile reads the file at path: only Linux maps it (mapfile_linux.go).
func mapFile(path string) ([]byte, func(), error) { return readFile(path) }
