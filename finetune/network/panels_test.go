package network

import (
	"math"
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// requirePanels skips a test where OpenBLAS's kernel cannot be driven.
func requirePanels(t *testing.T) *panelKernel {
	t.Helper()
	if panels == nil {
		t.Skipf("no OpenBLAS kernel to drive (%s)", BLASInfo())
	}
	return panels
}

func randomFloats(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*rng.Float32() - 1
	}
	return s
}

// TestPackRowsMatchesItcopy compares the package's panel layout with
// OpenBLAS's own copy routine, for every tail of 4, 2 and 1 rows.
func TestPackRowsMatchesItcopy(t *testing.T) {
	pk := requirePanels(t)
	rng := rand.New(rand.NewSource(1))
	for _, minI := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 23, 320} {
		for _, minL := range []int{1, 3, 8, 27, 320} {
			lda := minI + 3
			a := randomFloats(rng, lda*minL)
			want := make([]float32, minI*minL)
			got := make([]float32, minI*minL)
			pk.packA(minL, minI, a, lda, want)
			packRows(got, a, lda, 0, minL, 0, minI)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("rows %d, depths %d: element %d is %g, sgemm_itcopy %g", minI, minL, i, got[i], want[i])
				}
			}
		}
	}
}

// TestPackColumnsMatchesOncopy compares the package's packing of B with
// OpenBLAS's own copy routine, for every tail of 2 and 1 columns.
func TestPackColumnsMatchesOncopy(t *testing.T) {
	pk := requirePanels(t)
	rng := rand.New(rand.NewSource(5))
	for n := 1; n <= 13; n++ {
		for _, k := range []int{1, 3, 8, 27, 320} {
			ldb := k + 5
			b := randomFloats(rng, ldb*n)
			want, got := make([]float32, k*n), make([]float32, k*n)
			pk.packB(false, k, n, b, ldb, want)
			packColumns(got, b, ldb, k, n)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("columns %d, depths %d: element %d is %g, sgemm_oncopy %g", n, k, i, got[i], want[i])
				}
			}
		}
	}
}

// TestPanelProductMatchesSgemm compares panel products with cblas_sgemm bit
// for bit, over row ranges that start inside the matrix (as a goroutine's
// share of a product does), both layouts of B, beta 0 and 1, and sizes on
// both sides of every block edge of the driver (GEMM_P, GEMM_Q, 2 GEMM_Q,
// the 12-, 4- and 1-column blocks).
func TestPanelProductMatchesSgemm(t *testing.T) {
	pk := requirePanels(t)
	t.Logf("OpenBLAS core %s", pk.core)
	rng := rand.New(rand.NewSource(2))
	sa := make([]float32, pk.panelBuffer())
	for _, m := range []int{1, 13, 330, 700, 1001} {
		for _, n := range []int{1, 5, 12, 27} {
			for _, k := range []int{1, 9, 333, 641, 700} {
				for _, trans := range []bool{false, true} {
					for _, accumulate := range []bool{false, true} {
						lda, ldb, ldc := m+1, k+2, m+3
						bRows, bCols := k, n // B[l + j*ldb]: ldb counts depths
						tB := blas.NoTrans
						if trans {
							ldb, bRows, bCols, tB = n+2, n, k, blas.Trans
						}
						a := randomFloats(rng, lda*k)
						b := randomFloats(rng, ldb*bCols+bRows)
						want := randomFloats(rng, ldc*n)
						got := append([]float32(nil), want...)
						mFrom := m / 3
						beta := float32(0)
						if accumulate {
							beta = 1
						}
						// the same product in row-major terms: Cᵀ = op(B)ᵀ·Aᵀ
						fastBLAS.Sgemm(tB, blas.NoTrans, n, m-mFrom, k, 1, b, ldb, a[mFrom:], lda, beta, want[mFrom:], ldc)
						pb := pk.pack(trans, k, n, b, ldb, nil)
						pk.product(mFrom, m, pb, got, ldc, accumulate, sa, func(sa []float32, ls, minL, is, minI int) {
							packRows(sa, a, lda, ls, minL, is, minI)
						})
						for i := range want {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("m,n,k %d,%d,%d trans %v accumulate %v: C[%d] is %g, cblas_sgemm %g",
									m, n, k, trans, accumulate, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// packRows is sgemm_itcopy: it packs depths [ls, ls+minL) of rows [is,
// is+minI) of A (A[i + l*lda]) into sa.
func packRows(sa, a []float32, lda, ls, minL, is, minI int) {
	for r := range minI {
		at, step := panelRows(minL, minI, r)
		for l := range minL {
			sa[at+l*step] = a[is+r+(ls+l)*lda]
		}
	}
}
