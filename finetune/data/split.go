package data

import (
	"fmt"
	"slices"
)

// Split is an ordered selection of a dataset's images: a split such as
// "train" or "test" as Dataset.Split returns it, or a subset of one. A Split
// is a view; subsets share the images.
type Split struct {
	// Name says what the split is, for messages: "test", "first
	// 1000 of train", "1000 of train sampled with seed 7".
	Name string

	data  *store
	index []int // positions in data; nil means all of data, in order
}

// Len returns the number of images in s.
func (s *Split) Len() int {
	if s.index == nil {
		return s.data.n
	}
	return len(s.index)
}

// Labeled reports whether the images have labels.
func (s *Split) Labeled() bool { return s.data.labels != nil }

// Label returns the label of image i of s; it panics when the data has no
// labels (see Labeled).
func (s *Split) Label(i int) int64 { return s.data.labels[s.pos(i)] }

// Labels returns the labels of s in order, or nil when the data has none.
func (s *Split) Labels() []int64 {
	if !s.Labeled() {
		return nil
	}
	out := make([]int64, s.Len())
	for i := range out {
		out[i] = s.Label(i)
	}
	return out
}

// pos maps an image of s to its position in the store.
func (s *Split) pos(i int) int {
	if s.index == nil {
		return i
	}
	return s.index[i]
}

// First returns the first n images of s, or s itself when it has no more
// than n.
func (s *Split) First(n int) *Split {
	if n < 0 || n >= s.Len() {
		return s
	}
	return s.sub(fmt.Sprintf("first %d of %s", n, s.Name), seq(n))
}

// Sample returns n images of s drawn at random without replacement, kept in
// the order they have in s; the same seed draws the same images. It returns
// s itself when s has no more than n images.
func (s *Split) Sample(n int, seed uint64) *Split {
	if n < 0 || n >= s.Len() {
		return s
	}
	pick := Permutation(s.Len(), seed)[:n]
	slices.Sort(pick)
	return s.sub(fmt.Sprintf("%d of %s sampled with seed %d", n, s.Name, seed), pick)
}

// sub returns the images of s at the given positions of s.
func (s *Split) sub(name string, at []int) *Split {
	index := make([]int, len(at))
	for i, p := range at {
		index[i] = s.pos(p)
	}
	return &Split{Name: name, data: s.data, index: index}
}

// seq returns 0, 1, ..., n-1.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Carve divides s into n images drawn at random with the seed, kept in the
// order they have in s, and the rest: two disjoint splits that together
// hold every image of s once. Fine-tuning holds the first out as
// validation images and trains on the second. n must be between 1 and
// Len()-1.
func (s *Split) Carve(n int, seed uint64) (held, rest *Split, err error) {
	if n < 1 || n >= s.Len() {
		return nil, nil, fmt.Errorf("%s has %d images: cannot hold %d of them out and train on the rest", s.Name, s.Len(), n)
	}
	perm := Permutation(s.Len(), seed)
	pick, others := perm[:n], perm[n:]
	slices.Sort(pick)
	slices.Sort(others)
	held = s.sub(fmt.Sprintf("%d of %s held out with seed %d", n, s.Name, seed), pick)
	rest = s.sub(fmt.Sprintf("%s without the %d held out with seed %d", s.Name, n, seed), others)
	return held, rest, nil
}
