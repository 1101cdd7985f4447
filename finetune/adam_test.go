package finetune

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamVectorMatchesScalar runs adamUpdate, whose leading weights the
// vector code updates where there is one, against adamScalar on the same
// state, over lengths around the vector width and gradients from 0 to
// huge, NaN and infinities included.
func TestAdamVectorMatchesScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e30, -1e30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.SmallestNonzeroFloat32}
	c := &adamConstants{beta1: 0.9, oneMinusBeta1: 1 - float32(0.9), beta2: 0.999, oneMinusBeta2: 1 - float32(0.999),
		decay: 0.9999, stepSize: 3.1e-4, eps: 1.3e-8}
	for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 1000} {
		p, m, v, g := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range n {
			p[i] = float32(rng.NormFloat64())
			m[i] = float32(rng.NormFloat64() * 1e-3)
			v[i] = float32(rng.ExpFloat64() * 1e-6)
			g[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-8)))
			if rng.IntN(4) == 0 {
				g[i] = special[rng.IntN(len(special))]
			}
		}
		wantP, wantM, wantV := clone32(p), clone32(m), clone32(v)
		adamScalar(wantP, wantM, wantV, g, c)
		adamUpdate(p, m, v, g, c)
		for i := range n {
			for _, pair := range [][2]float32{{p[i], wantP[i]}, {m[i], wantM[i]}, {v[i], wantV[i]}} {
				if !sameFloat32(pair[0], pair[1]) {
					t.Fatalf("n=%d weight %d (g %g): vector p, m, v = %g %g %g, scalar %g %g %g",
						n, i, g[i], p[i], m[i], v[i], wantP[i], wantM[i], wantV[i])
				}
			}
		}
	}
}

func clone32(s []float32) []float32 { return append([]float32(nil), s...) }

// sameFloat32 reports equal bits, or two NaNs: which NaN an operation with
// two NaN operands passes on is the compiler's choice of operand order.
func sameFloat32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}
