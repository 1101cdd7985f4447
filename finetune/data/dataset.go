package data

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Split names. CIFAR and idx data have Train and Test; images and npy data
// have Train, Test (the held-out images) and All.
const (
	Train = "train"
	Test  = "test"
	All   = "all"
)

// DefaultHoldout is the fraction of images and npy data held out as the test
// split when Options.Holdout is 0.
const DefaultHoldout = 0.1

// Options say how Open divides images and npy data, which have no test
// split of their own. CIFAR and idx data ignore them.
type Options struct {
	// Holdout is the fraction of the images held out as the test split,
	// 0 < Holdout < 1; 0 means DefaultHoldout.
	Holdout float64
	// Seed chooses which images are held out.
	Seed uint64
}

// Dataset is an opened dataset: what its spec names, before its images are
// read. Split reads them.
type Dataset struct {
	// Spec is the spec the dataset was opened with, FORMAT:PATH.
	Spec string
	// Format is the spec's format: cifar10, cifar100, idx, images or npy.
	Format string
	// Classes names the classes by label where the data names them (CIFAR-10,
	// images, CIFAR-100 with its fine_label_names.txt); nil otherwise.
	Classes []string
	// NumClasses bounds the labels: they are 0..NumClasses-1. It is 0 for
	// npy data without labels.
	NumClasses int
	// Shape is the shape of the images as stored, before preprocessing; H
	// and W are 0 when the images differ in size.
	Shape Shape
	// Splits lists the split names Split accepts.
	Splits []string

	// Preprocessed reports that the images are already preprocessed (npy):
	// only an empty Preprocess applies.
	Preprocessed bool

	load   map[string]func() (*Split, error)
	loaded map[string]*Split
	// sizes describes differing image sizes for messages, e.g.
	// "cat/a.png is 32x32, dog/b.jpg is 40x30"; empty when all are equal.
	sizes string
}

// Open opens the dataset that spec names (see the package documentation). It
// checks that the files are there and reads what describes the dataset; the
// images themselves are read by Split.
func Open(spec string, opts Options) (*Dataset, error) {
	format, path, ok := strings.Cut(spec, ":")
	if !ok || path == "" {
		return nil, fmt.Errorf("data %q: want FORMAT:PATH, one of %s", spec, formats)
	}
	if opts.Holdout == 0 {
		opts.Holdout = DefaultHoldout
	}
	if !(opts.Holdout > 0 && opts.Holdout < 1) {
		return nil, fmt.Errorf("data %s: holdout fraction %v: want a fraction between 0 and 1 (--holdout)", spec, opts.Holdout)
	}
	d := &Dataset{Spec: spec, Format: format, load: map[string]func() (*Split, error){}, loaded: map[string]*Split{}}
	var err error
	switch format {
	case "cifar10":
		err = d.openCIFAR(path, cifar10)
	case "cifar100":
		err = d.openCIFAR(path, cifar100)
	case "idx":
		err = d.openIdx(path)
	case "images":
		err = d.openImages(path, opts)
	case "npy":
		err = d.openNpy(path, opts)
	default:
		return nil, fmt.Errorf("data %q: unknown format %q; want one of %s", spec, format, formats)
	}
	if err != nil {
		return nil, err
	}
	for name := range d.load {
		d.Splits = append(d.Splits, name)
	}
	slices.Sort(d.Splits)
	return d, nil
}

const formats = "cifar10:DIR, cifar100:DIR, idx:DIR, images:DIR, npy:X.npy[,Y.npy]"

// Split reads and returns the named split: Train, Test, or All where the
// format has it. A split is read once; later calls return the same Split.
func (d *Dataset) Split(name string) (*Split, error) {
	if s, ok := d.loaded[name]; ok {
		return s, nil
	}
	load, ok := d.load[name]
	if !ok {
		return nil, fmt.Errorf("data %s has no split %q; it has %s", d.Spec, name, strings.Join(d.Splits, ", "))
	}
	s, err := load()
	if err != nil {
		return nil, err
	}
	if s.Len() == 0 {
		return nil, fmt.Errorf("data %s: the %s split has no images", d.Spec, name)
	}
	d.loaded[name] = s
	return s, nil
}

// holdout divides n images into a train and a test part: a seeded random
// fraction of them (at least one image when n > 1) is the test part. Both
// keep the images in their original order.
func holdout(n int, opts Options) (train, test []int) {
	k := int(math.Round(opts.Holdout * float64(n)))
	if k == 0 && n > 1 {
		k = 1
	}
	if k == n && n > 0 {
		k = n - 1
	}
	p := Permutation(n, opts.Seed)
	test, train = p[:k], p[k:]
	slices.Sort(test)
	slices.Sort(train)
	return train, test
}
