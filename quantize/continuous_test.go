package quantize

import (
	"math"
	"testing"
)

func TestContinuousLevelMatchesLevelsAndGrad(t *testing.T) {
	for _, bits := range []int{1, 3, 4, 8} {
		q, err := NewQuantizer(Config{Bits: bits, PCMLoss: 0.128})
		if err != nil {
			t.Fatal(err)
		}
		// at the transmission levels themselves the continuous level is exact
		for v := 0; v <= q.Max(); v++ {
			x := q.Dequantize(v, 1)
			if got := q.ContinuousLevel(x) * float64(q.Max()); math.Abs(got-float64(v)) > 1e-9 {
				t.Errorf("bits %d: continuous level of level %d's weight is %g", bits, v, got)
			}
		}
		for _, x := range []float64{-0.9, -0.3, -0.01, 0.02, 0.4, 0.95} {
			const h = 1e-6
			numeric := (q.ContinuousLevel(x+h) - q.ContinuousLevel(x-h)) / (2 * h)
			if got := q.LevelGrad(x); math.Abs(got-numeric) > 1e-6*math.Max(1, math.Abs(numeric)) {
				t.Errorf("bits %d x %g: LevelGrad %g, finite difference %g", bits, x, got, numeric)
			}
		}
	}
}
