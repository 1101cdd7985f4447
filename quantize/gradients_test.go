package quantize

import (
	"math"
	"math/rand"
	"testing"
)

// TestGradientsIsLevelGrad: Gradients gives LevelGrad(x)/alpha and
// -LevelGrad(x)*x/alpha bit for bit (NaN for NaN: which operand's NaN an
// operation passes on is the compiler's choice of operand order), and
// gradientsScalar's bits, NaN included, whichever code ran, for rows of every length up to a few
// vectors (so that the four-wide code and the scalar tail both run), on
// weights of either sign, zeros, subnormals, infinities and NaN included,
// at several scales, for every bit width.
func TestGradientsIsLevelGrad(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-40, -1e-40, 1, -3}
	for bits := 1; bits <= MaxBits; bits++ {
		q, err := NewQuantizer(Config{Bits: bits, PCMLoss: 0.128})
		if err != nil {
			t.Fatal(err)
		}
		for _, alpha := range []float64{1, 3.3, 0.01, 0, math.Inf(1)} {
			for n := range 19 {
				w := make([]float32, n)
				for i := range w {
					w[i] = float32(rng.NormFloat64())
					if rng.Intn(4) == 0 {
						w[i] = special[rng.Intn(len(special))]
					}
				}
				dw, dalpha := make([]float64, n), make([]float64, n)
				q.Gradients(dw, dalpha, w, alpha)
				scalarW, scalarAlpha := make([]float64, n), make([]float64, n)
				c := q.gradientConstants(alpha)
				gradientsScalar(scalarW, scalarAlpha, w, &c)
				for i, v := range w {
					if math.Float64bits(dw[i]) != math.Float64bits(scalarW[i]) || math.Float64bits(dalpha[i]) != math.Float64bits(scalarAlpha[i]) {
						t.Fatalf("bits %d, alpha %v, weight %d of %d (%v): derivatives %x, %x; one at a time %x, %x", bits, alpha, i, n, v,
							math.Float64bits(dw[i]), math.Float64bits(dalpha[i]), math.Float64bits(scalarW[i]), math.Float64bits(scalarAlpha[i]))
					}
					x := float64(v) / alpha
					g := q.LevelGrad(x)
					wantW, wantAlpha := g/alpha, -g*x/alpha
					if !sameFloat(dw[i], wantW) || !sameFloat(dalpha[i], wantAlpha) {
						t.Fatalf("bits %d, alpha %v, weight %d of %d (%v): derivatives %v, %v; want %v, %v", bits, alpha, i, n, v, dw[i], dalpha[i], wantW, wantAlpha)
					}
				}
			}
		}
	}
}

// BenchmarkGradients times Gradients on a row of VGG8's largest layer.
func BenchmarkGradients(b *testing.B) {
	q, err := NewQuantizer(Config{Bits: 4, PCMLoss: 0.128})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	w := make([]float32, 4608)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	dw, dalpha := make([]float64, len(w)), make([]float64, len(w))
	for b.Loop() {
		q.Gradients(dw, dalpha, w, 5)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(w)), "ns/weight")
}

// sameFloat reports whether a and b are the same bits, or both NaN.
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
}
