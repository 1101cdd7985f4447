package reorder

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel calls f(i) for i in [0, n) on up to GOMAXPROCS goroutines and
// waits for them. Results must not depend on which goroutine runs which i.
func parallel(n int, f func(i int)) {
	parallelWith(n, func() struct{} { return struct{}{} }, func(_ struct{}, i int) { f(i) })
}

// parallelWith is parallel with per-goroutine scratch state made by init,
// so that workers reuse their buffers instead of allocating per item. Items
// are handed out one at a time, so uneven rows balance.
func parallelWith[S any](n int, init func() S, f func(s S, i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		s := init()
		for i := range n {
			f(s, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			s := init()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(s, i)
			}
		})
	}
	wg.Wait()
}
