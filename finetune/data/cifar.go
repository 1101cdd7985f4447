package data

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// cifarFormat describes one of the CIFAR binary versions.
type cifarFormat struct {
	name       string // "cifar10"
	folder     string // the folder the published archive unpacks to
	train      []string
	test       string
	labelBytes int // label bytes before the pixels of each record
	classes    int
	coarse     int      // CIFAR-100's coarse classes, checked in the first label byte
	names      []string // built-in class names
	namesFile  string   // the archive's class names, one per line, read when present
}

// The two CIFAR binary versions, as published at
// https://www.cs.toronto.edu/~kriz/cifar.html.
var (
	cifar10 = &cifarFormat{
		name:       "cifar10",
		folder:     "cifar-10-batches-bin",
		train:      []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"},
		test:       "test_batch.bin",
		labelBytes: 1,
		classes:    10,
		names:      []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"},
		namesFile:  "batches.meta.txt",
	}
	cifar100 = &cifarFormat{
		name:       "cifar100",
		folder:     "cifar-100-binary",
		train:      []string{"train.bin"},
		test:       "test.bin",
		labelBytes: 2,
		classes:    100,
		coarse:     20,
		namesFile:  "fine_label_names.txt",
	}
)

// cifarPixels is the size of one CIFAR image: 3 planes of 32x32.
const cifarPixels = 3 * 32 * 32

func (f *cifarFormat) recordSize() int { return f.labelBytes + cifarPixels }

// openCIFAR finds the batch files in dir or in its published subfolder.
func (d *Dataset) openCIFAR(dir string, f *cifarFormat) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("data %s: %w", d.Spec, err)
	}
	if _, err := os.Stat(filepath.Join(dir, f.test)); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, f.folder, f.test)); err == nil {
			dir = filepath.Join(dir, f.folder)
		}
	}
	all := append(append([]string(nil), f.train...), f.test)
	for _, name := range all {
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("data %s: %w; want the %s binary batches (%s) in DIR or DIR/%s", d.Spec, err, f.name, strings.Join(all, ", "), f.folder)
		}
		if st.IsDir() {
			return fmt.Errorf("data %s: %s is a folder, not a %s batch file", d.Spec, path, f.name)
		}
	}
	d.Shape = Shape{3, 32, 32}
	d.NumClasses = f.classes
	d.Classes = f.names
	if names, err := readNames(filepath.Join(dir, f.namesFile)); err == nil && len(names) == f.classes {
		d.Classes = names
	}
	d.load[Train] = func() (*Split, error) { return f.read(Train, dir, f.train) }
	d.load[Test] = func() (*Split, error) { return f.read(Test, dir, []string{f.test}) }
	return nil
}

// read reads the records of the given batch files into one split.
func (f *cifarFormat) read(split, dir string, files []string) (*Split, error) {
	s := &store{source: dir, shape: Shape{3, 32, 32}}
	total := 0
	for _, name := range files {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil {
			total += int(st.Size()) / f.recordSize()
		}
	}
	s.pix = make([]uint8, 0, total*cifarPixels)
	s.labels = make([]int64, 0, total)
	for _, name := range files {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if err := f.decode(s, b, path); err != nil {
			return nil, err
		}
	}
	return &Split{Name: split, data: s}, nil
}

// decode appends the records of one batch file to s.
func (f *cifarFormat) decode(s *store, b []byte, path string) error {
	rs := f.recordSize()
	if len(b) == 0 {
		return fmt.Errorf("%s: empty file; want %d-byte %s records", path, rs, f.name)
	}
	if len(b)%rs != 0 {
		return fmt.Errorf("%s: %d bytes is not a whole number of %d-byte %s records: the file is truncated or not a %s batch (the last record has %d bytes)",
			path, len(b), rs, f.name, f.name, len(b)%rs)
	}
	n := len(b) / rs
	for i := range n {
		rec := b[i*rs : (i+1)*rs]
		if f.coarse > 0 && int(rec[0]) >= f.coarse {
			return fmt.Errorf("%s: record %d has coarse label %d, outside 0..%d: not a %s batch", path, i, rec[0], f.coarse-1, f.name)
		}
		label := rec[f.labelBytes-1]
		if int(label) >= f.classes {
			return fmt.Errorf("%s: record %d has label %d, outside 0..%d: not a %s batch", path, i, label, f.classes-1, f.name)
		}
		s.labels = append(s.labels, int64(label))
		s.pix = append(s.pix, rec[f.labelBytes:]...)
	}
	s.n += n
	return nil
}

// readNames reads one class name a line, skipping blank lines.
func readNames(path string) ([]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var names []string
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		if name := strings.TrimSpace(sc.Text()); name != "" {
			names = append(names, name)
		}
	}
	return names, sc.Err()
}
