package finetune

import (
	"math"
	"math/rand"
	"testing"
)

// TestCellLoopsMatchScalar: addPowers and cellGradients, four levels at a
// time where the processor can, give the scalar loops' bits, NaN
// included, for blocks of every length up to a few vectors, on levels of
// either sign, zeros, NaN and infinities, and soft maxima that are zero,
// NaN or ordinary.
func TestCellLoopsMatchScalar(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	special := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 1, -1, 1e-300}
	value := func() float64 {
		if rng.Intn(4) == 0 {
			return special[rng.Intn(len(special))]
		}
		return rng.NormFloat64()
	}
	for range 200 {
		for n := range 19 {
			c := make([]float64, n)
			f := &cellFactors{make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)}
			for j := range c {
				c[j] = value()
				f.gp[j], f.gn[j] = []float64{1, 1.5, 2}[rng.Intn(3)], []float64{1, 1.5, 2}[rng.Intn(3)]
				f.p[j], f.n[j] = math.Abs(value()), math.Abs(value())
			}
			sp, sn := append([]float64(nil), f.p...), append([]float64(nil), f.n...)
			wantSp, wantSn := append([]float64(nil), f.p...), append([]float64(nil), f.n...)
			addPowers(sp, sn, c)
			addPowersScalar(wantSp, wantSn, c)
			grad, want := make([]float64, n), make([]float64, n)
			cellGradients(grad, c, f, 7)
			cellGradientsScalar(want, c, f, 7)
			for j := range c {
				if math.Float64bits(sp[j]) != math.Float64bits(wantSp[j]) || math.Float64bits(sn[j]) != math.Float64bits(wantSn[j]) {
					t.Fatalf("level %d of %d (%v): sums %x %x, one at a time %x %x", j, n, c[j],
						math.Float64bits(sp[j]), math.Float64bits(sn[j]), math.Float64bits(wantSp[j]), math.Float64bits(wantSn[j]))
				}
				if math.Float64bits(grad[j]) != math.Float64bits(want[j]) {
					t.Fatalf("level %d of %d (%v, p %v, n %v): gradient %x, one at a time %x", j, n, c[j], f.p[j], f.n[j],
						math.Float64bits(grad[j]), math.Float64bits(want[j]))
				}
			}
		}
	}
}
