package data

import (
	"math/bits"
	"math/rand/v2"
)

// Permutation returns a random permutation of 0..n-1 determined by seed
// alone: the same seed gives the same order on every platform and Go
// release. It is a Fisher-Yates shuffle driven by a PCG generator, whose
// output sequence is fixed by its definition.
func Permutation(n int, seed uint64) []int {
	p := seq(n)
	src := rand.NewPCG(seed, 0x656c69676874) // "elight"
	for i := n - 1; i > 0; i-- {
		j := int(bounded(src, uint64(i+1)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// bounded returns a uniform random number in [0, n) from src by Lemire's
// multiply-and-reject method, written out here so that the result depends
// on src's sequence only, not on a library function's implementation.
func bounded(src *rand.PCG, n uint64) uint64 {
	threshold := -n % n // 2^64 mod n
	for {
		hi, lo := bits.Mul64(src.Uint64(), n)
		if lo >= threshold {
			return hi
		}
	}
}
