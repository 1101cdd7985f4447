//go:build !cgo || noopenblas

package network

import (
	"runtime"

	"gonum.org/v1/gonum/blas/gonum"
)

// Without cgo, matrix products run on gonum's pure-Go BLAS, which spreads a
// large product over GOMAXPROCS goroutines.
var fastBLAS = gonum.Implementation{}

func blasName() string { return "gonum (pure Go)" }

func blasThreads() int { return runtime.GOMAXPROCS(0) }
