package onnxio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// readExternal hands decode the want bytes of a tensor whose data_location
// is EXTERNAL, in the file its external_data names relative to dir (the
// current folder if dir is empty): decode calls read to fill its buffers
// from them in turn, and readExternal returns decode's error.
//
// Locations are confined to dir: an absolute path, a ".." that climbs out, or
// a symbolic link that leads out is an error, because a model file is data
// and must not be able to make elight read arbitrary files.
func readExternal(tp *onnxpb.TensorProto, dir string, want int, decode func(read func([]byte) error) error) error {
	var (
		loc    string
		offset int64
		length int64 = -1
	)
	for _, kv := range tp.GetExternalData() {
		var err error
		switch kv.GetKey() {
		case "location":
			loc = kv.GetValue()
		case "offset":
			offset, err = parseSize(kv.GetValue())
		case "length":
			length, err = parseSize(kv.GetValue())
		}
		// Other keys, such as "checksum", are optional hints.
		if err != nil {
			return fmt.Errorf("external data %s: %w", kv.GetKey(), err)
		}
	}
	if loc == "" {
		return errors.New("external data has no location")
	}
	local := filepath.FromSlash(loc)
	if !filepath.IsLocal(local) {
		return fmt.Errorf("external data location %q is outside the model's folder", loc)
	}
	if length >= 0 && length != int64(want) {
		return fmt.Errorf("external data length is %d bytes, the shape needs %d", length, want)
	}
	if dir == "" {
		dir = "."
	}
	path := filepath.Join(dir, local)

	f, err := os.OpenInRoot(dir, local)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("external data file %s not found", path)
	}
	if err != nil {
		return fmt.Errorf("external data %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("external data %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("external data %s is not a regular file", path)
	}
	// Checking the size first means a lying header cannot make us allocate
	// more than the file holds.
	if offset > fi.Size() || int64(want) > fi.Size()-offset {
		return fmt.Errorf("external data %s has %d bytes, need %d at offset %d",
			path, fi.Size(), want, offset)
	}
	r := io.NewSectionReader(f, offset, int64(want))
	return decode(func(p []byte) error {
		if _, err := io.ReadFull(r, p); err != nil {
			return fmt.Errorf("external data %s: %w", path, err)
		}
		return nil
	})
}

// parseSize parses a non-negative decimal byte count.
func parseSize(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a byte count", s)
	}
	if n < 0 {
		return 0, fmt.Errorf("negative byte count %d", n)
	}
	return n, nil
}
