package network

// The package runs its kernels on GOMAXPROCS goroutines and OpenBLAS on one
// thread per call (see blas_openblas.go). A convolution gives each goroutine
// whole groups of images, so that the matrix products run side by side, or,
// with too few groups, splits each product into column blocks; every other
// loop is split into blocks too (quantize/parallel's Split). OpenBLAS's own
// threads would spin between products, taking a core from the Go code
// (im2col, pooling) that runs there: on 2 cores that was the slowest
// arrangement measured.

// minParallelWork is the least work, in element operations, worth handing
// to another goroutine: the minWork of every parallel.Split in the package.
const minParallelWork = 1 << 14
