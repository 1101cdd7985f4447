package reorder

import "github.com/elight-photonic/elight/quantize/parallel"

// maxPathChunk bounds the points of one path problem. A core's q blocks
// are cut into consecutive chunks of at most this many, each solved from
// where the previous one ended, so the quadratic distance work grows
// linearly with q (a 25088-wide layer has q = 392 at block 64).
const maxPathChunk = 128

// planPaths returns the Column order (if column) and the Block order (if
// block), sharing their distance computations: the L1 distance of two
// blocks is the sum of their columns' distances.
func planPaths(l *Layer, column, block bool) [2]*Order {
	var orders [2]*Order
	if column {
		orders[0] = newOrder(l.Grid, Column)
	}
	if block {
		orders[1] = newOrder(l.Grid, Block)
	}
	parallel.ItemsWith(l.BlockRows(), func() *pathWorker { return &pathWorker{l: l} }, func(w *pathWorker, i int) {
		w.plan(i, orders[0], orders[1])
	})
	return orders
}

// pathWorker is one goroutine's scratch for planning paths row by row.
type pathWorker struct {
	l      *Layer
	solver pathSolver
	colD   []int32  // per column b, [(n+1) x (n+1)] distances of column b
	blkD   []int32  // [(n+1) x (n+1)] distances of whole blocks
	js     []int    // the blocks being packed
	packed []uint64 // one column of each block in js, packed into lanes
	row    []int32  // one row of distances
	starts []int    // per column, the block its path ended on so far
	costs  []int64  // per column, the writes of its path so far
}

// plan fills core i's orders in col and blk (either may be nil).
func (w *pathWorker) plan(i int, col, blk *Order) {
	l := w.l
	k, q := l.K, l.BlockCols()
	chunks := (q + maxPathChunk - 1) / maxPathChunk
	w.starts = w.starts[:0]
	w.costs = w.costs[:0]
	for range k {
		w.starts = append(w.starts, -1) // -1: the cleared core
		w.costs = append(w.costs, 0)
	}
	blkStart, blkCost := -1, int64(0)
	for c := range chunks {
		j0, j1 := c*q/chunks, (c+1)*q/chunks
		n, N := j1-j0, j1-j0+1
		w.distances(i, j0, j1, blkStart, col != nil, blk != nil)
		if col != nil {
			for b := range k {
				path, cost := w.solver.solve(n, w.colD[b*N*N:(b+1)*N*N], columnEffort)
				w.starts[b] = place(col.unitSeq(i, b), j0, path)
				w.costs[b] += cost
			}
		}
		if blk != nil {
			path, cost := w.solver.solve(n, w.blkD, blockEffort)
			blkStart = place(blk.unitSeq(i, 0), j0, path)
			blkCost += cost
		}
	}
	// Chunks start where the previous path ended, not where the original
	// order did, so a row's path can come out dearer than the original
	// order: keep whichever is cheaper.
	var blkOrig int64
	for b := range k {
		orig := w.originalCost(i, b)
		blkOrig += orig
		if col != nil && w.costs[b] > orig {
			identity(col.unitSeq(i, b))
		}
	}
	if blk != nil && blkCost > blkOrig {
		identity(blk.unitSeq(i, 0))
	}
}

// place writes a chunk's path (nodes 1..n for blocks j0..j0+n-1) into seq
// and returns the block it ends on.
func place(seq []uint16, j0 int, path []int32) int {
	for t, node := range path {
		seq[j0+t] = uint16(j0 + int(node) - 1)
	}
	return j0 + int(path[len(path)-1]) - 1
}

// identity sets seq to the original order.
func identity(seq []uint16) {
	for t := range seq {
		seq[t] = uint16(t)
	}
}

// originalCost returns the writes of column b of core i in the original
// order.
func (w *pathWorker) originalCost(i, b int) int64 {
	var c int64
	for a := range w.l.K {
		var prev int32
		for _, v := range w.l.Seq(i, a, b) {
			c += int64(abs32(int32(v) - prev))
			prev = int32(v)
		}
	}
	return c
}

// distances fills the distance matrices of blocks j0..j1-1 of core i as
// nodes 1..n, node 0 being the start: for each column b (if cols) into
// w.colD, starting where column b's path ended (w.starts[b]), and for whole
// blocks (if blocks) into w.blkD, starting at block blkStart (-1: the
// cleared core). A column's distance is the sum of |u - v| over its K
// cells; a block's is the sum over its columns.
func (w *pathWorker) distances(i, j0, j1, blkStart int, cols, blocks bool) {
	l := w.l
	k := l.K
	n, N := j1-j0, j1-j0+1
	if cols {
		w.colD = grow(w.colD, k*N*N)
	}
	w.blkD = grow(w.blkD, N*N)
	clear(w.blkD)
	wide := l.Max > max8
	words, flush := (k+7)/8, 255/max(1, 2*l.Max)
	sadRow := sadRow8
	if wide {
		words, flush, sadRow = (k+3)/4, 65535/max(1, 2*l.Max), sadRow16
	}
	// Points 0..n-1 are the chunk's blocks, point n the column's start and
	// point n+1 the block path's start.
	w.js = w.js[:0]
	for j := j0; j < j1; j++ {
		w.js = append(w.js, j)
	}
	w.js = append(w.js, 0, blkStart)
	w.packed = growWords(w.packed, (n+2)*words)
	w.row = grow(w.row, N)
	for b := range k {
		w.js[n] = w.starts[b]
		w.pack(i, b, words, wide)
		var d []int32
		if cols {
			d = w.colD[b*N*N : (b+1)*N*N]
		}
		// Row 0 from the starts, then row x+1 from point x to the later
		// points; mirror fills the lower triangle.
		for x := -1; x < n; x++ {
			from, y0 := x, x+1
			if x < 0 {
				from, y0 = n, 0
			}
			out := w.row[y0+1 : N]
			if cols {
				sadRow(w.packed[from*words:(from+1)*words], w.packed[y0*words:n*words], words, flush, out)
				copy(d[(x+1)*N+y0+1:(x+2)*N], out)
			}
			if blocks {
				if x < 0 {
					sadRow(w.packed[(n+1)*words:(n+2)*words], w.packed[:n*words], words, flush, out)
				} else if !cols {
					sadRow(w.packed[x*words:(x+1)*words], w.packed[y0*words:n*words], words, flush, out)
				}
				acc := w.blkD[(x+1)*N+y0+1 : (x+2)*N]
				for y, v := range out {
					acc[y] += v
				}
			}
		}
		if cols {
			mirror(d, N)
		}
	}
	if blocks {
		mirror(w.blkD, N)
	}
}

// mirror copies the upper triangle of the [N x N] matrix d onto the lower
// one and zeroes the diagonal.
func mirror(d []int32, N int) {
	for x := range N {
		d[x*N+x] = 0
		for y := x + 1; y < N; y++ {
			d[y*N+x] = d[x*N+y]
		}
	}
}

// pack writes column b of core i's blocks w.js (-1: the cleared core) into
// w.packed, words words per block, one cell per 8-bit lane (16-bit if
// wide), offset to be positive. Lanes past the K cells hold level 0 in
// every block, so they add nothing.
func (w *pathWorker) pack(i, b, words int, wide bool) {
	bitsPer, off := 8, offset8
	if wide {
		bitsPer, off = 16, offset16
	}
	perWord := 64 / bitsPer
	var zero uint64
	for lane := range perWord {
		zero |= uint64(off) << (lane * bitsPer)
	}
	packed := w.packed[:len(w.js)*words]
	for x := range packed {
		packed[x] = zero
	}
	for a := range w.l.K {
		seq := w.l.Seq(i, a, b)
		word, shift := a/perWord, (a%perWord)*bitsPer
		for x, j := range w.js {
			if j >= 0 {
				// Adding to the offset already there keeps the lane
				// positive: |level| < offset.
				packed[x*words+word] += uint64(int64(seq[j])) << shift
			}
		}
	}
}

// growWords is grow for packed words.
func growWords(b []uint64, n int) []uint64 {
	if cap(b) < n {
		return make([]uint64, n)
	}
	return b[:n]
}
