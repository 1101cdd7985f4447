package data

import "fmt"

// Stream serves a loader's images as an endless sequence of full batches in
// a new seeded order every epoch: epoch e follows Permutation(Len(),
// seed+e), and the short last batch of an epoch is skipped so that every
// batch has the same size.
type Stream struct {
	loader *Loader
	size   int
	seed   uint64
	labels bool

	pos   int   // batches served so far
	epoch int   // the epoch order holds
	order []int // Permutation(Len(), seed+epoch), or nil
	batch Batch
}

// NewStream returns a stream of l's images in batches of size, shuffled
// with seed. Without labels (withLabels false, or data that has none)
// Next returns nil labels.
func NewStream(l *Loader, size int, seed uint64, withLabels bool) (*Stream, error) {
	if size < 1 || size > l.Len() {
		return nil, fmt.Errorf("%s has %d images: cannot serve batches of %d", l.split.Name, l.Len(), size)
	}
	return &Stream{loader: l, size: size, seed: seed, labels: withLabels && l.split.Labeled(), epoch: -1}, nil
}

// Pos returns the number of batches served so far.
func (s *Stream) Pos() int { return s.pos }

// Seek makes the next batch the one served after pos batches: Next serves
// the same batches again.
func (s *Stream) Seek(pos int) error {
	if pos < 0 {
		return fmt.Errorf("seek to batch %d: want 0 or more", pos)
	}
	s.pos = pos
	return nil
}

// Next fills x, [size, C, H, W], with the next batch and returns its
// labels (nil without labels). The slice is reused by the next call.
func (s *Stream) Next(x []float32) ([]int64, error) {
	perEpoch := s.loader.Len() / s.size
	epoch, k := s.pos/perEpoch, s.pos%perEpoch
	if epoch != s.epoch {
		s.order, s.epoch = Permutation(s.loader.Len(), s.seed+uint64(epoch)), epoch
	}
	s.loader.Fill(&s.batch, s.order[k*s.size:(k+1)*s.size])
	if len(x) != len(s.batch.X) {
		return nil, fmt.Errorf("batch of %d values, want room for %d", len(x), len(s.batch.X))
	}
	copy(x, s.batch.X)
	s.pos++
	if !s.labels {
		return nil, nil
	}
	return s.batch.Labels, nil
}
