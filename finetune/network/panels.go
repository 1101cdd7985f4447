package network

import (
	"fmt"

	"github.com/elight-photonic/elight/finetune/network/internal/vector"
	"github.com/elight-photonic/elight/quantize/parallel"
)

// A matrix product in OpenBLAS runs in three steps: it copies a block of
// each operand into the "panel" layout its kernel reads (the packing), the
// kernel multiplies the panels, and a driver loop walks the blocks. For a
// convolution the packing is wasted work twice over: the filters are packed
// again for every product of a step although they do not change, and the
// columns are first built by im2col, then copied once more into panels.
//
// panelKernel calls OpenBLAS's own kernel on panels the package builds
// itself: the filters packed once a pass, the columns gathered by the
// filter taps straight into the panel layout. The driver loop below repeats
// OpenBLAS 0.3.21's single-threaded one (driver/level3/level3.c) call for
// call, with the same block sizes, so every element of C is summed by the
// same kernel code over the same depths in the same order: the results are
// cblas_sgemm's bit for bit (TestPanelProductMatchesSgemm), and with them
// every fine-tuning result. Where OpenBLAS is another version or runs on a
// core whose parameters are not these, panels is nil and products go
// through cblas_sgemm as before.
//
// The driver speaks OpenBLAS's column-major terms: C (m x n) = A (m x k) ·
// B (k x n). A row-major product C = W · cols, the forward convolution, is
// the column-major Cᵀ = colsᵀ · Wᵀ: OpenBLAS's rows i are the output
// pixels, its columns j the output channels.
type panelKernel struct {
	core string // OpenBLAS's name for the core, as openblas_get_corename gives it

	// The blocking of OpenBLAS 0.3.21 for single precision on the core:
	// GEMM_P rows of A and GEMM_Q depths a block, GEMM_R columns of B at
	// most (larger B falls back to cblas_sgemm), and the kernel's register
	// tile of unrollM x unrollN.
	p, q, r          int
	unrollM, unrollN int

	// kernel adds A·B to C for packed panels: OpenBLAS's sgemm_kernel
	// with alpha 1.
	kernel func(m, n, k int, sa, sb, c []float32, ldc int)
	// packB packs depths [0, k) of columns [0, n) of B into sb, in the
	// layout of OpenBLAS's sgemm_oncopy (trans false: B[l + j*ldb]) or
	// sgemm_otcopy (trans true: B[j + l*ldb]). pack uses it for the
	// transposed B; packColumns, eight depths at a time, for the other.
	packB func(trans bool, k, n int, b []float32, ldb int, sb []float32)
	// packA is OpenBLAS's sgemm_itcopy: depths [0, k) of rows [0, m) of
	// A (A[i + l*lda]) into sa. Tests compare the package's own packing
	// with it.
	packA func(k, m int, a []float32, lda int, sa []float32)
}

// panels is OpenBLAS's kernel where the package can drive it, else nil.
var panels = loadPanels()

// depthBlocks calls f for the depth blocks [ls, ls+minL) of a product of
// depth k, as level3.c cuts them: GEMM_Q at a time while at least twice that
// is left, then the rest, halved (rounded up to unrollM) when above GEMM_Q.
func (pk *panelKernel) depthBlocks(k int, f func(ls, minL int)) {
	for ls, minL := 0, 0; ls < k; ls += minL {
		minL = k - ls
		switch {
		case minL >= 2*pk.q:
			minL = pk.q
		case minL > pk.q:
			minL = (minL/2 + pk.unrollM - 1) / pk.unrollM * pk.unrollM
		}
		f(ls, minL)
	}
}

// rowBlock is the number of rows level3.c packs at once when left rows
// remain: GEMM_P while at least twice that is left, else all of them,
// halved (rounded up to unrollM) when above GEMM_P.
func (pk *panelKernel) rowBlock(left int) int {
	switch {
	case left >= 2*pk.p:
		return pk.p
	case left > pk.p:
		return (left/2 + pk.unrollM - 1) / pk.unrollM * pk.unrollM
	}
	return left
}

// columnBlock is the number of columns of B level3.c packs and multiplies
// at once, for the first row block, when left columns remain.
func (pk *panelKernel) columnBlock(left int) int {
	switch {
	case left >= 3*pk.unrollN:
		return 3 * pk.unrollN
	case left > pk.unrollN:
		return pk.unrollN
	}
	return left
}

// packedB is a B operand in panel layout, every depth block of it, ready
// for any number of products.
type packedB struct {
	k, n int
	data []float32 // depth block [ls, ls+minL) at data[ls*n:], minL*n long
}

// pack packs B (k x n) for products of depth k: trans false reads
// B[l + j*ldb], trans true B[j + l*ldb]. dst is reused when large enough.
// It returns nil where n is beyond GEMM_R, whose products cblas_sgemm takes.
func (pk *panelKernel) pack(trans bool, k, n int, b []float32, ldb int, dst []float32) *packedB {
	if n > pk.r {
		return nil
	}
	if cap(dst) < k*n {
		dst = make([]float32, k*n)
	}
	pb := &packedB{k: k, n: n, data: dst[:k*n]}
	// packed as level3.c packs them for the first row block, a block of
	// columns at a time, whatever layout the copy routine has; the blocks
	// are independent, and split among goroutines
	type block struct{ ls, minL, jjs, minJJ int }
	var blocks []block
	pk.depthBlocks(k, func(ls, minL int) {
		for jjs, minJJ := 0, 0; jjs < n; jjs += minJJ {
			minJJ = pk.columnBlock(n - jjs)
			blocks = append(blocks, block{ls, minL, jjs, minJJ})
		}
	})
	parallel.Split(len(blocks), pk.q*3*pk.unrollN, minParallelWork, func(_, lo, hi int) {
		for _, bl := range blocks[lo:hi] {
			at := bl.ls + bl.jjs*ldb // B's element (ls, jjs)
			if trans {
				at = bl.jjs + bl.ls*ldb
			}
			sb := pb.data[bl.ls*n+bl.minL*bl.jjs:][:bl.minL*bl.minJJ]
			if trans {
				pk.packB(true, bl.minL, bl.minJJ, b[at:], ldb, sb)
			} else {
				packColumns(sb, b[at:], ldb, bl.minL, bl.minJJ)
			}
		}
	})
	return pb
}

// product computes C = A·B, or C += A·B with accumulate, for the rows
// [mFrom, mTo) of C (m x b.n, C[i + j*ldc]), making the kernel calls
// OpenBLAS 0.3.21's driver makes for cblas_sgemm on the same rows (its
// beta 0 clears C first: so does product). fillA packs depths [ls,
// ls+minL) of rows [is, is+minI) of A into sa in sgemm_itcopy's layout
// (the tests' packRows is that copy from a plain matrix); sa holds at
// least GEMM_P x GEMM_Q elements (panelBuffer).
func (pk *panelKernel) product(mFrom, mTo int, b *packedB, c []float32, ldc int, accumulate bool,
	sa []float32, fillA func(sa []float32, ls, minL, is, minI int)) {
	n := b.n
	if mTo <= mFrom || n == 0 {
		return
	}
	if len(c) < (n-1)*ldc+mTo || ldc < mTo || len(sa) < pk.p*pk.q {
		panic(fmt.Sprintf("network: panel product of rows [%d, %d) x %d columns: C has %d elements at stride %d, sa %d",
			mFrom, mTo, n, len(c), ldc, len(sa)))
	}
	if !accumulate {
		for j := range n {
			clear(c[j*ldc+mFrom : j*ldc+mTo])
		}
	}
	pk.depthBlocks(b.k, func(ls, minL int) {
		sb := b.data[ls*n:][:minL*n]
		minI := pk.rowBlock(mTo - mFrom)
		fillA(sa, ls, minL, mFrom, minI)
		for jjs, minJJ := 0, 0; jjs < n; jjs += minJJ {
			minJJ = pk.columnBlock(n - jjs)
			pk.kernel(minI, minJJ, minL, sa, sb[minL*jjs:], c[mFrom+jjs*ldc:], ldc)
		}
		for is := mFrom + minI; is < mTo; is += minI {
			minI = pk.rowBlock(mTo - is)
			fillA(sa, ls, minL, is, minI)
			pk.kernel(minI, n, minL, sa, sb, c[is:], ldc)
		}
	})
}

// panelBuffer is the size of the sa buffer product needs.
func (pk *panelKernel) panelBuffer() int { return pk.p * pk.q }

// panelRows lays out packed rows as sgemm_itcopy does, for minI rows of
// depth minL: whole panels of 8 rows first, each depth's 8 values side by
// side, then a panel of 4, of 2 and of 1 for the rest. panelRows returns
// where row r's value of depth 0 lies and the step from one depth to the
// next.
func panelRows(minL, minI, r int) (at, step int) {
	whole := minI &^ 7
	switch {
	case r < whole:
		return r/8*8*minL + r%8, 8
	case r < minI&^3:
		return whole*minL + r - whole, 4
	case r < minI&^1:
		return (minI&^3)*minL + r - (minI &^ 3), 2
	}
	return (minI &^ 1) * minL, 1
}

// packColumns is sgemm_oncopy: it packs depths [0, k) of columns [0, n)
// of B (B[l + j*ldb]) into sb: panels of four columns, each depth's four
// values side by side, then a panel of two and one of one for the rest.
func packColumns(sb, b []float32, ldb, k, n int) {
	j := 0
	for ; j+4 <= n; j += 4 {
		var rows [4][]float32
		for r := range rows {
			rows[r] = b[(j+r)*ldb:][:k]
		}
		vector.Interleave4(sb[j*k:], &rows)
	}
	if n-j >= 2 {
		first, second := b[j*ldb:][:k], b[(j+1)*ldb:][:k]
		for l := range k {
			sb[j*k+2*l], sb[j*k+2*l+1] = first[l], second[l]
		}
		j += 2
	}
	if j < n {
		copy(sb[j*k:][:k], b[j*ldb:][:k])
	}
}
