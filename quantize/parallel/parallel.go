// Package parallel runs loops over [0, n) on several goroutines. It is the
// one definition of the parallel-range helpers that quantize, reorder and
// finetune share; it lives under quantize, the lowest-level package they all
// import.
//
// Split hands out contiguous blocks whose bounds depend only on n, the work
// estimate and GOMAXPROCS, so that a caller that keeps per-block results
// (partial sums, scratch buffers) gets the same results whatever the
// scheduling. Items hands out single indices, which balances items of
// uneven cost, for callers whose results do not depend on which goroutine
// ran which index.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Blocks returns how many contiguous blocks Split divides [0, n) into:
// min(GOMAXPROCS, n, max(1, n*work/minWork)), where work estimates the cost
// of one index and minWork is the least total work worth a goroutine of its
// own (it must be positive). It returns 0 when n is 0, in which case Split
// does not call f. Callers use it to size per-block scratch space before
// calling Split.
func Blocks(n, work, minWork int) int {
	return blocks(runtime.GOMAXPROCS(0), n, work, minWork)
}

// blocks is Blocks on at most threads goroutines. Every block holds at least
// one index, so f is never called with an empty range.
func blocks(threads, n, work, minWork int) int {
	if n <= 0 {
		return 0
	}
	return max(1, min(threads, n, max(1, n*work/minWork)))
}

// Split calls f on Blocks(n, work, minWork) contiguous blocks that cover
// [0, n): block b gets [b*n/blocks, (b+1)*n/blocks). Block 0 runs on the
// calling goroutine, the rest on goroutines of their own, and Split returns
// when all are done. With a single block no goroutine is started, so small
// loops pay nothing for being parallel.
func Split(n, work, minWork int, f func(block, lo, hi int)) {
	SplitOn(runtime.GOMAXPROCS(0), n, work, minWork, f)
}

// SplitOn is Split on at most threads goroutines (at least one), for callers
// that are themselves one of several goroutines and must not oversubscribe
// the CPUs.
func SplitOn(threads, n, work, minWork int, f func(block, lo, hi int)) {
	blocks := blocks(threads, n, work, minWork)
	if blocks == 0 {
		return
	}
	if blocks == 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for b := 1; b < blocks; b++ {
		wg.Go(func() { f(b, b*n/blocks, (b+1)*n/blocks) })
	}
	f(0, 0, n/blocks)
	wg.Wait()
}

// Items calls f(i) for every i in [0, n) on up to GOMAXPROCS goroutines,
// the calling one among them, and waits for them. Indices are handed out
// one at a time, so items of uneven cost balance; results must not depend
// on which goroutine runs which i.
func Items(n int, f func(i int)) {
	ItemsWith(n, func() struct{} { return struct{}{} }, func(_ struct{}, i int) { f(i) })
}

// ItemsWith is Items with per-goroutine scratch state: each goroutine calls
// init once and passes its state to every f it runs, so that workers reuse
// their buffers instead of allocating per item. init runs at most
// GOMAXPROCS times, and once (on the calling goroutine) when n is at most 1
// or GOMAXPROCS is 1.
func ItemsWith[S any](n int, init func() S, f func(s S, i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		s := init()
		for i := range n {
			f(s, i)
		}
		return
	}
	var next atomic.Int64
	work := func() {
		s := init()
		for {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			f(s, i)
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}
