package network

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
)

// Matrix products (Conv, Gemm, MatMul, and their gradients) take nearly all
// of a forward or training step. Gonum's pure-Go BLAS, gorgonia's default,
// runs them about ten times slower than an optimized BLAS, so the network
// package, when built with cgo, hands gorgonia (and its own convolution
// kernel) OpenBLAS for the level-3 products; see blas_openblas.go. Without
// cgo, or with the build tag noopenblas, everything stays pure Go.
func init() {
	G.Use(fastBLAS)
}

// gemm is the BLAS the package's own kernels call; the one gorgonia uses.
var gemm blas.Float32 = fastBLAS

// BLASInfo names the BLAS that matrix products run on, for benchmark and
// diagnostic output.
func BLASInfo() string {
	return fmt.Sprintf("%s, %d thread(s) per call", blasName(), blasThreads())
}
