package parallel_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/elight-photonic/elight/quantize/parallel"
)

// withProcs sets GOMAXPROCS to procs for the rest of the test.
func withProcs(t *testing.T, procs int) {
	t.Helper()
	old := runtime.GOMAXPROCS(procs)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
}

type block struct{ b, lo, hi int }

// collect runs split and returns the blocks f saw, ordered by block number.
func collect(t *testing.T, want int, split func(f func(b, lo, hi int))) []block {
	t.Helper()
	var mu sync.Mutex
	got := make([]block, want)
	seen := make([]bool, want)
	split(func(b, lo, hi int) {
		mu.Lock()
		defer mu.Unlock()
		if b < 0 || b >= want {
			t.Errorf("block %d out of [0, %d)", b, want)
			return
		}
		if seen[b] {
			t.Errorf("block %d called twice", b)
		}
		seen[b] = true
		got[b] = block{b, lo, hi}
	})
	for b, ok := range seen {
		if !ok {
			t.Errorf("block %d never called", b)
		}
	}
	return got
}

// checkCover checks that the blocks cover [0, n) contiguously, in order,
// none empty, with the bounds b*n/len(blocks).
func checkCover(t *testing.T, n int, blocks []block) {
	t.Helper()
	next := 0
	for b, bl := range blocks {
		if bl.lo != next || bl.hi <= bl.lo {
			t.Errorf("block %d is [%d, %d), want it to start at %d and be non-empty", b, bl.lo, bl.hi, next)
		}
		if lo, hi := b*n/len(blocks), (b+1)*n/len(blocks); bl.lo != lo || bl.hi != hi {
			t.Errorf("block %d is [%d, %d), want [%d, %d)", b, bl.lo, bl.hi, lo, hi)
		}
		next = bl.hi
	}
	if next != n {
		t.Errorf("blocks end at %d, want %d", next, n)
	}
}

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		n, work, minWork, procs, want int
	}{
		{n: 0, work: 1, minWork: 1, procs: 4, want: 0},
		{n: 1, work: 1, minWork: 1, procs: 4, want: 1},
		{n: 3, work: 1, minWork: 1, procs: 4, want: 3},       // n bounds
		{n: 10, work: 1, minWork: 1, procs: 4, want: 4},      // GOMAXPROCS bounds
		{n: 10, work: 1, minWork: 1, procs: 1, want: 1},      // one CPU
		{n: 7, work: 1, minWork: 1, procs: 2, want: 2},       // uneven halves
		{n: 100, work: 10, minWork: 4096, procs: 8, want: 1}, // too little work
		{n: 1000, work: 10, minWork: 4096, procs: 8, want: 2},
		{n: 1000, work: 100, minWork: 4096, procs: 8, want: 8},
		{n: 5, work: 1 << 20, minWork: 1 << 14, procs: 16, want: 5},
		{n: 13, work: 0, minWork: 1, procs: 4, want: 1}, // no work estimate
	} {
		t.Run(fmt.Sprintf("n=%d,work=%d,minWork=%d,procs=%d", c.n, c.work, c.minWork, c.procs), func(t *testing.T) {
			withProcs(t, c.procs)
			if got := parallel.Blocks(c.n, c.work, c.minWork); got != c.want {
				t.Fatalf("Blocks = %d, want %d", got, c.want)
			}
			blocks := collect(t, c.want, func(f func(b, lo, hi int)) { parallel.Split(c.n, c.work, c.minWork, f) })
			checkCover(t, c.n, blocks)
		})
	}
}

func TestSplitOn(t *testing.T) {
	withProcs(t, 8)
	for _, c := range []struct {
		threads, n, work, minWork, want int
	}{
		{threads: 0, n: 10, work: 1, minWork: 1, want: 1}, // at least one
		{threads: 1, n: 10, work: 1, minWork: 1, want: 1},
		{threads: 3, n: 10, work: 1, minWork: 1, want: 3},
		{threads: 16, n: 10, work: 1, minWork: 1, want: 10}, // beyond GOMAXPROCS
		{threads: 4, n: 10, work: 1, minWork: 5, want: 2},
		{threads: 4, n: 0, work: 1, minWork: 1, want: 0},
	} {
		t.Run(fmt.Sprintf("threads=%d,n=%d,work=%d,minWork=%d", c.threads, c.n, c.work, c.minWork), func(t *testing.T) {
			blocks := collect(t, c.want, func(f func(b, lo, hi int)) { parallel.SplitOn(c.threads, c.n, c.work, c.minWork, f) })
			checkCover(t, c.n, blocks)
		})
	}
}

// TestSplitConcurrent has block 0, which runs on the calling goroutine,
// wait for the other blocks: it returns only if they run on goroutines of
// their own, side by side with it.
func TestSplitConcurrent(t *testing.T) {
	withProcs(t, 4)
	var others sync.WaitGroup
	others.Add(3)
	parallel.Split(4, 1, 1, func(b, lo, hi int) {
		if b == 0 {
			others.Wait()
			return
		}
		others.Done()
	})
}

func TestItems(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 1000} {
		for _, procs := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("n=%d,procs=%d", n, procs), func(t *testing.T) {
				withProcs(t, procs)
				visits := make([]atomic.Int32, n)
				parallel.Items(n, func(i int) { visits[i].Add(1) })
				for i := range visits {
					if v := visits[i].Load(); v != 1 {
						t.Errorf("item %d visited %d times, want 1", i, v)
					}
				}
			})
		}
	}
}

func TestItemsWith(t *testing.T) {
	for _, n := range []int{0, 1, 3, 1000} {
		for _, procs := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("n=%d,procs=%d", n, procs), func(t *testing.T) {
				withProcs(t, procs)
				var inits atomic.Int32
				visits := make([]atomic.Int32, n)
				type scratch struct{ items int }
				var mu sync.Mutex
				var states []*scratch
				parallel.ItemsWith(n, func() *scratch {
					inits.Add(1)
					s := new(scratch)
					mu.Lock()
					states = append(states, s)
					mu.Unlock()
					return s
				}, func(s *scratch, i int) {
					s.items++ // one goroutine per state: no race
					visits[i].Add(1)
				})
				if got := int(inits.Load()); got < 1 || got > procs {
					t.Errorf("init called %d times, want 1 to %d", got, procs)
				}
				total := 0
				for _, s := range states {
					total += s.items
				}
				if total != n {
					t.Errorf("states ran %d items, want %d", total, n)
				}
				for i := range visits {
					if v := visits[i].Load(); v != 1 {
						t.Errorf("item %d visited %d times, want 1", i, v)
					}
				}
			})
		}
	}
}

// ExampleSplit sums a slice block by block: each block writes only its own
// partial sum, and the blocks depend only on the length, the work estimate
// and GOMAXPROCS, so the total is the same on every run.
func ExampleSplit() {
	x := make([]float64, 10000)
	for i := range x {
		x[i] = float64(i)
	}
	const minWork = 1024 // fewer elements than this are not worth a goroutine
	sums := make([]float64, parallel.Blocks(len(x), 1, minWork))
	parallel.Split(len(x), 1, minWork, func(block, lo, hi int) {
		for _, v := range x[lo:hi] {
			sums[block] += v
		}
	})
	total := 0.0
	for _, s := range sums {
		total += s
	}
	fmt.Println(total)
	// Output: 4.9995e+07
}
