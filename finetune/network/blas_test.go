package network

import (
	"math"
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestSgemmMatchesGonum compares the BLAS the package hands gorgonia
// (OpenBLAS under cgo) with gonum's pure-Go reference, for every transpose
// combination, padded leading dimensions, beta and empty products.
func TestSgemmMatchesGonum(t *testing.T) {
	t.Logf("BLAS: %s", BLASInfo())
	rng := rand.New(rand.NewSource(1))
	random := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = 2*rng.Float32() - 1
		}
		return s
	}
	for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
		for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, dims := range [][3]int{{1, 1, 1}, {7, 5, 3}, {64, 33, 130}, {3, 4, 0}, {0, 4, 2}} {
				m, n, k := dims[0], dims[1], dims[2]
				rowsA, colsA := m, k
				if tA == blas.Trans {
					rowsA, colsA = k, m
				}
				rowsB, colsB := k, n
				if tB == blas.Trans {
					rowsB, colsB = n, k
				}
				lda, ldb, ldc := colsA+2, colsB+1, n+3
				a, b := random(rowsA*lda), random(rowsB*ldb)
				want := random(m * ldc)
				got := append([]float32(nil), want...)
				gonum.Implementation{}.Sgemm(tA, tB, m, n, k, 0.5, a, lda, b, ldb, 2, want, ldc)
				fastBLAS.Sgemm(tA, tB, m, n, k, 0.5, a, lda, b, ldb, 2, got, ldc)
				for i := range want {
					if math.Abs(float64(got[i]-want[i])) > 1e-5*float64(k+1) {
						t.Fatalf("tA=%c tB=%c m,n,k=%v: element %d is %g, gonum %g", tA, tB, dims, i, got[i], want[i])
					}
				}
			}
		}
	}
}
