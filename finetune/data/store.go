package data

import "fmt"

// Shape is the shape of one image: channels, height, width.
type Shape struct {
	C, H, W int
}

// String formats s as CxHxW, e.g. 3x32x32.
func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W) }

// size is the number of values in one image of shape s.
func (s Shape) size() int { return s.C * s.H * s.W }

// store holds the images and labels of one split as read from disk. Images
// are uint8 pixels in CHW order, back to back (pix), except for npy data,
// which is already float32 (float). When the images of a folder differ in
// size, off and shapes locate each one; otherwise every image has shape.
type store struct {
	source string // the file or folder the images came from, for messages
	n      int
	shape  Shape // the common image shape; H and W are 0 when sizes vary
	pix    []uint8
	float  []float32
	off    []int   // image i is pix[off[i]:off[i+1]], when sizes vary
	shapes []Shape // image i's shape, when sizes vary
	labels []int64 // nil when the data has no labels
	names  []string
}

// imageShape returns the shape of image i.
func (s *store) imageShape(i int) Shape {
	if s.shapes != nil {
		return s.shapes[i]
	}
	return s.shape
}

// pixels returns the uint8 pixels of image i.
func (s *store) pixels(i int) []uint8 {
	if s.off != nil {
		return s.pix[s.off[i]:s.off[i+1]]
	}
	n := s.shape.size()
	return s.pix[i*n : (i+1)*n]
}

// floats returns the float32 values of image i (npy data).
func (s *store) floats(i int) []float32 {
	n := s.shape.size()
	return s.float[i*n : (i+1)*n]
}
