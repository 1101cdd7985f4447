package elight

import (
	"math"
	"testing"
	"time"
)

// TestSegmentsFit: the estimate of the segments a budget holds, worked out
// by hand: a segment is its steps' forward passes, three per image, plus
// one measurement, both in units of the measurement's time per image.
func TestSegmentsFit(t *testing.T) {
	cases := []struct {
		left, measuring          time.Duration
		validation, steps, batch int
		want                     float64
	}{
		// 2 s per 1000 images: 100 steps of 10 cost 3 * 1000 images = 6 s, plus 2 s
		{100 * time.Second, 2 * time.Second, 1000, 100, 10, 100.0 / 8},
		// ResNet-18 here: 55 s for 5000 images, 200 steps of 32 = 211.2 + 55 s
		{26 * time.Minute, 55 * time.Second, 5000, 200, 32, 1560 / 266.2},
		// a deadline already past
		{-time.Second, time.Second, 100, 1, 1, -1 / 1.03},
	}
	for _, c := range cases {
		if got := segmentsFit(c.left, c.measuring, c.validation, c.steps, c.batch); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("segmentsFit(%v, %v, %d, %d, %d) = %g, want %g", c.left, c.measuring, c.validation, c.steps, c.batch, got, c.want)
		}
	}
}
