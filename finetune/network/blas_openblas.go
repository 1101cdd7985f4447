//go:build cgo && !noopenblas

package network

// OpenBLAS comes from Debian's libopenblas-dev (testdata/setup.sh installs
// it): the linker finds libopenblas.so on its default path. Elsewhere, point
// CGO_LDFLAGS at the library (CGO_LDFLAGS="-L/opt/OpenBLAS/lib"), or build
// with -tags noopenblas for pure Go. The prototypes are declared here rather
// than taken from cblas.h, so no particular header needs to be installed.

/*
#cgo LDFLAGS: -lopenblas

void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
	float alpha, const float *a, int lda, const float *b, int ldb,
	float beta, float *c, int ldc);
void cblas_dgemm(int order, int transA, int transB, int m, int n, int k,
	double alpha, const double *a, int lda, const double *b, int ldb,
	double beta, double *c, int ldc);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
*/
import "C"

import (
	"os"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

// openBLAS is gonum's BLAS with the matrix-matrix products, the only BLAS
// calls that matter to a CNN, done by OpenBLAS. The rest stays pure Go.
type openBLAS struct{ gonum.Implementation }

var fastBLAS = openBLAS{}

// OpenBLAS runs each product on the calling thread; the package splits the
// work among goroutines itself (parallel.go). OPENBLAS_NUM_THREADS, when set,
// still decides: OPENBLAS_NUM_THREADS=2 GOMAXPROCS=1 lets OpenBLAS split the
// products instead, for comparison.
func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
}

func blasName() string { return C.GoString(C.openblas_get_config()) }

func blasThreads() int { return int(C.openblas_get_num_threads()) }

func (openBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	C.cblas_sgemm(cblasRowMajor, transFlag(tA), transFlag(tB), C.int(m), C.int(n), C.int(k),
		C.float(alpha), (*C.float)(ptr(a)), C.int(lda), (*C.float)(ptr(b)), C.int(ldb), C.float(beta), (*C.float)(ptr(c)), C.int(ldc))
}

func (openBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkGemm(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	C.cblas_dgemm(cblasRowMajor, transFlag(tA), transFlag(tB), C.int(m), C.int(n), C.int(k),
		C.double(alpha), (*C.double)(ptr(a)), C.int(lda), (*C.double)(ptr(b)), C.int(ldb), C.double(beta), (*C.double)(ptr(c)), C.int(ldc))
}

func transFlag(t blas.Transpose) C.int {
	if t == blas.NoTrans {
		return cblasNoTrans
	}
	return cblasTrans
}

// ptr is the address of a slice's first element, nil for an empty slice
// (which BLAS then does not read: k is 0 or the matrix is empty).
func ptr[T float32 | float64](s []T) *T {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

// checkGemm panics, as gonum does, on arguments that would make BLAS read or
// write outside the slices.
func checkGemm(tA, tB blas.Transpose, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("blas: negative matrix dimension")
	}
	rowsA, colsA := m, k
	if tA != blas.NoTrans {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if tB != blas.NoTrans {
		rowsB, colsB = n, k
	}
	switch {
	case lda < max(1, colsA):
		panic("blas: bad leading dimension of A")
	case ldb < max(1, colsB):
		panic("blas: bad leading dimension of B")
	case ldc < max(1, n):
		panic("blas: bad leading dimension of C")
	case m == 0 || n == 0:
	case rowsA > 0 && colsA > 0 && lenA < (rowsA-1)*lda+colsA:
		panic("blas: insufficient length of A")
	case rowsB > 0 && colsB > 0 && lenB < (rowsB-1)*ldb+colsB:
		panic("blas: insufficient length of B")
	case lenC < (m-1)*ldc+n:
		panic("blas: insufficient length of C")
	}
}
