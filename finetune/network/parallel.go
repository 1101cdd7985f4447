package network

import (
	"runtime"
	"sync"
)

// The package runs its kernels on GOMAXPROCS goroutines and OpenBLAS on one
// thread per call (see blas_openblas.go). A convolution gives each goroutine
// whole groups of images, so that the matrix products run side by side, or,
// with too few groups, splits each product into column blocks; every other
// loop is split into blocks too. OpenBLAS's own threads would spin between
// products, taking a core from the Go code (im2col, pooling) that runs
// there: on 2 cores that was the slowest arrangement measured.

// minParallelWork is the least work, in element operations, worth handing
// to another goroutine.
const minParallelWork = 1 << 14

// parallel splits [0, n) into contiguous blocks, one per goroutine, and calls
// f on each; work estimates the cost of one index. The blocks depend only on
// n and GOMAXPROCS, so results do not depend on scheduling.
func parallel(n, work int, f func(lo, hi int)) {
	parallelOn(runtime.GOMAXPROCS(0), n, work, func(_, lo, hi int) { f(lo, hi) })
}

// parallelOn is parallel on at most threads goroutines; f also gets the
// number of its block, 0 for the one the calling goroutine runs.
func parallelOn(threads, n, work int, f func(block, lo, hi int)) {
	blocks := min(threads, n, max(1, n*work/minParallelWork))
	if blocks <= 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for b := 1; b < blocks; b++ {
		wg.Add(1)
		go func(b int) {
			defer wg.Done()
			f(b, b*n/blocks, (b+1)*n/blocks)
		}(b)
	}
	f(0, 0, n/blocks)
	wg.Wait()
}
