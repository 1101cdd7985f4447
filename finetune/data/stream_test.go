package data

import (
	"slices"
	"testing"
)

// TestCarve: the held-out images and the rest are disjoint, cover the
// split, keep its order, and depend on the seed alone.
func TestCarve(t *testing.T) {
	s := idSplit(100).First(90) // carve a subset, as from a train split
	held, rest, err := s.Carve(20, 7)
	if err != nil {
		t.Fatal(err)
	}
	if held.Len() != 20 || rest.Len() != 70 {
		t.Fatalf("carved %d and %d of 90, want 20 and 70", held.Len(), rest.Len())
	}
	seen := map[int64]bool{}
	for _, part := range []*Split{held, rest} {
		if !slices.IsSorted(part.Labels()) {
			t.Errorf("%s is not in the split's order", part.Name)
		}
		for _, id := range part.Labels() {
			if seen[id] || id >= 90 {
				t.Fatalf("image %d is held out and trained on, or outside the split", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != 90 {
		t.Errorf("the two parts hold %d of the split's 90 images", len(seen))
	}
	again, _, _ := s.Carve(20, 7)
	other, _, _ := s.Carve(20, 8)
	if !slices.Equal(again.Labels(), held.Labels()) || slices.Equal(other.Labels(), held.Labels()) {
		t.Error("the held-out images do not follow the seed")
	}
	for _, n := range []int{0, 90, -1} {
		if _, _, err := s.Carve(n, 1); err == nil {
			t.Errorf("Carve(%d) of 90 images: no error", n)
		}
	}
}

// TestStreamFollowsShuffled: the stream serves the full batches of
// Shuffled(seed+epoch), epoch after epoch.
func TestStreamFollowsShuffled(t *testing.T) {
	l, err := NewLoader(idSplit(23), Preprocess{})
	if err != nil {
		t.Fatal(err)
	}
	var want [][]int64
	for epoch := range uint64(3) {
		for b := range l.Shuffled(5, 40+epoch) {
			if b.Len() == 5 {
				want = append(want, slices.Clone(b.Labels))
			}
		}
	}
	st, err := NewStream(l, 5, 40, true)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 5)
	for i, w := range want {
		labels, err := st.Next(x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(labels, w) {
			t.Fatalf("batch %d: labels %v, want %v", i, labels, w)
		}
	}
	if _, err := NewStream(l, 24, 1, true); err == nil {
		t.Error("a batch larger than the data: no error")
	}
}
