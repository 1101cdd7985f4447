package data

import (
	"fmt"
	"iter"

	"github.com/elight-photonic/elight/onnxio"
)

// Loader hands out the images of a split preprocessed, in batches. The
// stored images are converted as each batch is made, so a Loader holds no
// more float32 data than one batch.
type Loader struct {
	split *Split
	shape Shape
	cv    *converter // nil for npy data, which is used as stored
}

// NewLoader returns a Loader of the images of s with preprocessing p; it
// reports settings that do not fit the images (see Preprocess.Output).
func NewLoader(s *Split, p Preprocess) (*Loader, error) {
	l := &Loader{split: s}
	if s.data.float != nil {
		if !p.IsZero() {
			return nil, fmt.Errorf("%s: the images are already preprocessed; --pad, --resize, --channels, --mean and --std do not apply", s.data.source)
		}
		l.shape = s.data.shape
		return l, nil
	}
	out, err := p.Output(s.data.shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.data.source, err)
	}
	l.shape, l.cv = out, newConverter(p, out)
	return l, nil
}

// Len returns the number of images.
func (l *Loader) Len() int { return l.split.Len() }

// Shape returns the shape of a preprocessed image.
func (l *Loader) Shape() Shape { return l.shape }

// Split returns the split the images come from.
func (l *Loader) Split() *Split { return l.split }

// Batch is a batch of preprocessed images and their labels.
type Batch struct {
	// X holds the images, float32 [N, C, H, W] in row-major order.
	X []float32
	// Labels holds the N labels; it is nil when the data has none.
	Labels []int64
	// Index holds the positions of the N images in the split.
	Index []int
	// Shape is the shape of one image.
	Shape Shape
}

// Len returns the number of images in b.
func (b *Batch) Len() int { return len(b.Index) }

// Tensor returns the images as a float32 tensor [N, C, H, W] with the given
// name, sharing b.X.
func (b *Batch) Tensor(name string) *onnxio.Tensor {
	return &onnxio.Tensor{
		Name:     name,
		DataType: onnxio.Float,
		Dims:     []int64{int64(b.Len()), int64(b.Shape.C), int64(b.Shape.H), int64(b.Shape.W)},
		Float:    b.X,
	}
}

// Fill makes b the batch of the images at the given positions of the
// split, reusing b's buffers.
func (l *Loader) Fill(b *Batch, positions []int) {
	size := l.shape.size()
	b.Shape = l.shape
	b.Index = append(b.Index[:0], positions...)
	b.X = grow(b.X, len(positions)*size)
	b.Labels = b.Labels[:0]
	s := l.split
	for k, i := range positions {
		dst := b.X[k*size : (k+1)*size]
		p := s.pos(i)
		if l.cv == nil {
			copy(dst, s.data.floats(p))
		} else {
			l.cv.convert(dst, s.data.pixels(p), s.data.imageShape(p))
		}
		if s.Labeled() {
			b.Labels = append(b.Labels, s.data.labels[p])
		}
	}
	if !s.Labeled() {
		b.Labels = nil
	}
}

// grow returns s resized to n elements, reallocated only when too small.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// Batches returns the images in split order, size at a time; the last
// batch holds the rest. The Batch is reused: it is valid until the loop
// moves on.
func (l *Loader) Batches(size int) iter.Seq[*Batch] {
	return l.batches(size, nil)
}

// Shuffled is like Batches in the order Permutation(Len(), seed) gives: the
// same seed gives the same batches. Fine-tuning draws one order per epoch,
// with seeds such as base+epoch.
func (l *Loader) Shuffled(size int, seed uint64) iter.Seq[*Batch] {
	return l.batches(size, Permutation(l.Len(), seed))
}

func (l *Loader) batches(size int, order []int) iter.Seq[*Batch] {
	if size < 1 {
		panic(fmt.Sprintf("data: batch size %d", size))
	}
	if order == nil {
		order = seq(l.Len())
	}
	return func(yield func(*Batch) bool) {
		b := new(Batch)
		for start := 0; start < len(order); start += size {
			l.Fill(b, order[start:min(start+size, len(order))])
			if !yield(b) {
				return
			}
		}
	}
}
