package reorder

import "testing"

// The SWAR kernels against a plain loop, for cell counts that exercise
// the unrolled 64-cell path, partial words and flushes of the lane
// accumulators, at the largest levels each lane width takes.
func TestSADKernels(t *testing.T) {
	rng := newRand(1)
	for _, max := range []int{1, 3, 15, 63, 64, 127, 255} {
		for _, k := range []int{1, 7, 8, 31, 64, 100, 256} {
			l := &Layer{Grid: Grid{Rows: k, Cols: 5 * k, K: k}, Max: max, levels: make([]int16, k*k*5)}
			for i := range l.levels {
				// Extremes often, so that flushes are tested at their limit.
				switch rng.IntN(3) {
				case 0:
					l.levels[i] = int16(max)
				case 1:
					l.levels[i] = int16(-max)
				default:
					l.levels[i] = int16(rng.IntN(2*max+1) - max)
				}
			}
			w := &pathWorker{l: l, starts: make([]int, k)}
			for b := range k {
				w.starts[b] = 4 // column starts at block 4
			}
			w.distances(0, 0, 4, 4, true, true)
			N := 5
			for b := range k {
				for x := range N {
					for y := range N {
						// Node 0 is block 4 (the start), nodes 1..4 blocks 0..3.
						jx, jy := (x+4)%5, (y+4)%5
						var want int32
						for a := range k {
							d := int32(l.At(0, jx, a, b)) - int32(l.At(0, jy, a, b))
							want += abs32(d)
						}
						if got := w.colD[b*N*N+x*N+y]; got != want {
							t.Fatalf("max %d k %d column %d: distance (%d, %d) = %d, want %d", max, k, b, x, y, got, want)
						}
					}
				}
			}
		}
	}
}
