package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// idxUbyte is the idx type code of unsigned bytes, the only one MNIST-style
// datasets use.
const idxUbyte = 0x08

// maxIdxDims bounds the rank of an idx array.
const maxIdxDims = 4

// maxIdxPrealloc is the most data bytes parseIdx allocates on the
// header's word alone, before the data arrives: a damaged header cannot
// make it allocate more than this.
const maxIdxPrealloc = 1 << 26

// idxArray is an idx file's array of unsigned bytes.
type idxArray struct {
	dims []int
	data []uint8 // nil when only the header was read
}

// parseIdx reads an idx array (http://yann.lecun.com/exdb/mnist/): the magic
// 0x00 0x00 TYPE RANK, RANK big-endian uint32 dimensions, then the data. Only
// unsigned-byte data is accepted. With headerOnly, it stops after the
// dimensions. Otherwise the data must fill the dimensions exactly: missing
// or extra bytes are an error.
func parseIdx(r io.Reader, headerOnly bool) (*idxArray, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("reading the magic number: %w", truncated(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("bad magic number % x: not an idx file", magic)
	}
	if magic[2] != idxUbyte {
		return nil, fmt.Errorf("idx data type 0x%02x is not supported; want unsigned bytes (0x08)", magic[2])
	}
	rank := int(magic[3])
	if rank < 1 || rank > maxIdxDims {
		return nil, fmt.Errorf("idx rank %d is not supported; want 1 to %d dimensions", rank, maxIdxDims)
	}
	raw := make([]byte, 4*rank)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("reading %d dimensions: %w", rank, truncated(err))
	}
	a := &idxArray{dims: make([]int, rank)}
	for i := range a.dims {
		a.dims[i] = int(binary.BigEndian.Uint32(raw[4*i:]))
	}
	size := 1
	for _, d := range a.dims {
		if d > 0 && size > math.MaxInt32/d {
			return nil, fmt.Errorf("dimensions %v: more than %d elements", a.dims, math.MaxInt32)
		}
		size *= d
	}
	if headerOnly {
		return a, nil
	}
	// Trust the header with one allocation only up to maxIdxPrealloc,
	// growing the buffer as data arrives past it; read one byte more than
	// needed to notice extra data. Grown from empty, the buffer of
	// Fashion-MNIST's 47 MB of training images would end at 72 MB, all of
	// it held for the whole run.
	var buf bytes.Buffer
	buf.Grow(min(size, maxIdxPrealloc) + bytes.MinRead)
	got, err := io.Copy(&buf, io.LimitReader(r, int64(size)+1))
	if err != nil {
		return nil, fmt.Errorf("reading the data: %w", err)
	}
	switch {
	case got < int64(size):
		return nil, fmt.Errorf("truncated: dimensions %v need %d data bytes, the file has %d", a.dims, size, got)
	case got > int64(size):
		return nil, fmt.Errorf("more data than the dimensions %v hold (%d bytes): not an idx file, or a damaged one", a.dims, size)
	}
	a.data = buf.Bytes()
	return a, nil
}

// truncated turns an early end of input into a message that says so.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("file truncated")
	}
	return err
}

// readIdxFile reads an idx file, plain or gzip-compressed (recognized by its
// content, whatever its name), and checks its rank. Errors name the file.
func readIdxFile(path string, rank int, headerOnly bool) (*idxArray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	a, err := parseIdx(r, headerOnly)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(a.dims) != rank {
		what := map[int]string{1: "labels [N]", 3: "images [N, H, W]"}[rank]
		return nil, fmt.Errorf("%s: idx array of %d dimensions %v; want %s", path, len(a.dims), a.dims, what)
	}
	return a, nil
}

// idxNames lists the names the idx files of one split and kind go by: the
// MNIST site's (train-images-idx3-ubyte), the dotted variant
// (train-images.idx3-ubyte), each with or without .gz.
func idxNames(prefix, kind string, rank int) []string {
	var names []string
	for _, sep := range []string{"-", "."} {
		base := fmt.Sprintf("%s-%s%sidx%d-ubyte", prefix, kind, sep, rank)
		names = append(names, base, base+".gz")
	}
	return names
}

// findIdx returns the first of the names that exists in dir.
func findIdx(dir, prefix, kind string, rank int) (string, error) {
	names := idxNames(prefix, kind, rank)
	for _, name := range names {
		path := filepath.Join(dir, name)
		if st, err := os.Stat(path); err == nil && !st.IsDir() {
			return path, nil
		}
	}
	return "", fmt.Errorf("%s has no %s (nor %s)", dir, names[0], names[1])
}

// openIdx finds the four idx files, reads the image headers and the labels,
// and checks that they agree.
func (d *Dataset) openIdx(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data %s: %w", d.Spec, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("data %s: %s is not a folder; idx:DIR names the folder of the idx files", d.Spec, dir)
	}
	for _, split := range []struct{ name, prefix string }{{Train, "train"}, {Test, "t10k"}} {
		imagesPath, err := findIdx(dir, split.prefix, "images", 3)
		if err != nil {
			return fmt.Errorf("data %s: %w", d.Spec, err)
		}
		labelsPath, err := findIdx(dir, split.prefix, "labels", 1)
		if err != nil {
			return fmt.Errorf("data %s: %w", d.Spec, err)
		}
		head, err := readIdxFile(imagesPath, 3, true)
		if err != nil {
			return err
		}
		labels, err := readIdxFile(labelsPath, 1, false)
		if err != nil {
			return err
		}
		n := head.dims[0]
		if labels.dims[0] != n {
			return fmt.Errorf("%s has %d labels for the %d images of %s", labelsPath, labels.dims[0], n, imagesPath)
		}
		shape := Shape{1, head.dims[1], head.dims[2]}
		if d.Shape != (Shape{}) && shape != d.Shape {
			return fmt.Errorf("%s holds %dx%d images, the train images are %dx%d", imagesPath, shape.H, shape.W, d.Shape.H, d.Shape.W)
		}
		d.Shape = shape
		if len(labels.data) > 0 {
			d.NumClasses = max(d.NumClasses, int(slices.Max(labels.data))+1)
		}
		d.load[split.name] = func() (*Split, error) {
			a, err := readIdxFile(imagesPath, 3, false)
			if err != nil {
				return nil, err
			}
			if a.dims[0] != n || a.dims[1] != shape.H || a.dims[2] != shape.W {
				return nil, fmt.Errorf("%s changed while elight read it", imagesPath)
			}
			s := &store{source: imagesPath, n: n, shape: shape, pix: a.data, labels: make([]int64, n)}
			for i, l := range labels.data {
				s.labels[i] = int64(l)
			}
			return &Split{Name: split.name, data: s}, nil
		}
	}
	return nil
}
