package data

import (
	"slices"
	"testing"
)

// idSplit is a split of n 1x1x1 uint8 images whose pixel and label are the
// image's index.
func idSplit(n int) *Split {
	s := &store{source: "test", n: n, shape: Shape{1, 1, 1}, pix: make([]uint8, n), labels: make([]int64, n)}
	for i := range n {
		s.pix[i], s.labels[i] = uint8(i), int64(i)
	}
	return &Split{Name: "ids", data: s}
}

// collect runs through batches and returns their sizes and image ids (from
// the pixels) and checks that labels and Index agree with them.
func collect(t *testing.T, l *Loader, batches func(yield func(*Batch) bool)) (sizes []int, ids []int) {
	t.Helper()
	for b := range batches {
		sizes = append(sizes, b.Len())
		for k := range b.Len() {
			id := int(b.X[k]*255 + 0.5)
			if b.Labels[k] != int64(id) || l.Split().pos(b.Index[k]) != id {
				t.Fatalf("image %d of a batch: pixel id %d, label %d, index %d", k, id, b.Labels[k], b.Index[k])
			}
			ids = append(ids, id)
		}
	}
	return sizes, ids
}

func TestBatches(t *testing.T) {
	s := idSplit(10)
	for _, tc := range []struct {
		split *Split
		size  int
		sizes []int
		ids   []int
	}{
		{s, 4, []int{4, 4, 2}, seq(10)},
		{s, 10, []int{10}, seq(10)},
		{s, 64, []int{10}, seq(10)},
		{s, 1, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, seq(10)},
		{s.First(3), 2, []int{2, 1}, []int{0, 1, 2}},
		{s.First(3).First(2), 5, []int{2}, []int{0, 1}},
	} {
		l, err := NewLoader(tc.split, Preprocess{})
		if err != nil {
			t.Fatal(err)
		}
		sizes, ids := collect(t, l, l.Batches(tc.size))
		if !slices.Equal(sizes, tc.sizes) || !slices.Equal(ids, tc.ids) {
			t.Errorf("%s in batches of %d: sizes %v ids %v; want %v %v", tc.split.Name, tc.size, sizes, ids, tc.sizes, tc.ids)
		}
	}
}

func TestShuffled(t *testing.T) {
	s := idSplit(100)
	l, err := NewLoader(s, Preprocess{})
	if err != nil {
		t.Fatal(err)
	}
	_, a := collect(t, l, l.Shuffled(32, 7))
	_, b := collect(t, l, l.Shuffled(32, 7))
	_, c := collect(t, l, l.Shuffled(32, 8))
	if !slices.Equal(a, b) {
		t.Error("the same seed gives different orders")
	}
	if slices.Equal(a, c) || slices.Equal(a, seq(100)) {
		t.Error("seeds 7 and 8 give the same order, or no shuffling")
	}
	if !slices.Equal(a, Permutation(100, 7)) {
		t.Error("Shuffled(7) is not in the order of Permutation(100, 7)")
	}
	slices.Sort(a)
	if !slices.Equal(a, seq(100)) {
		t.Errorf("a shuffled epoch does not hold every image once: %v", a)
	}
}

// TestPermutationStable pins Permutation's output, which decides the images
// of every seeded holdout, sample and epoch, to values from an independent
// Python implementation of PCG-DXSM (pcg-cpp's 128-bit multiplier and
// increment, stream constant "elight"), Lemire's bounded draw and
// Fisher-Yates.
func TestPermutationStable(t *testing.T) {
	for _, tc := range []struct {
		n    int
		seed uint64
		want []int
	}{
		{0, 1, []int{}},
		{1, 1, []int{0}},
		{10, 0, []int{0, 2, 9, 3, 8, 5, 4, 6, 7, 1}},
		{10, 1, []int{0, 7, 8, 6, 3, 2, 1, 4, 5, 9}},
		{20, 12345, []int{5, 13, 6, 16, 2, 17, 8, 11, 3, 15, 7, 12, 4, 1, 18, 9, 14, 19, 0, 10}},
	} {
		if got := Permutation(tc.n, tc.seed); !slices.Equal(got, tc.want) {
			t.Errorf("Permutation(%d, %d) = %#v", tc.n, tc.seed, got)
		}
	}
}

func TestSample(t *testing.T) {
	s := idSplit(50)
	a, b := s.Sample(10, 3), s.Sample(10, 3)
	if a.Len() != 10 || !slices.Equal(a.Labels(), b.Labels()) {
		t.Fatalf("Sample(10, 3) twice: %v, %v", a.Labels(), b.Labels())
	}
	if !slices.IsSorted(a.Labels()) {
		t.Errorf("a sample does not keep the split's order: %v", a.Labels())
	}
	if slices.Equal(a.Labels(), s.Sample(10, 4).Labels()) {
		t.Error("seeds 3 and 4 sample the same images")
	}
	if s.Sample(60, 1) != s || s.First(50) != s {
		t.Error("subsets as large as the split are not the split")
	}
	// a sample of a subset draws from the subset
	sub := s.First(20).Sample(5, 1)
	for _, l := range sub.Labels() {
		if l >= 20 {
			t.Errorf("a sample of the first 20 holds image %d", l)
		}
	}
}
