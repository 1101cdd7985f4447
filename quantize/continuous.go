package quantize

import "math"

// ContinuousLevel is the signed level before rounding, divided by L-1: for
// x = w/alpha, sign(x) * (1 - ln(|x|*s + ref) / (ln(beta) * (L-1))). Its
// derivative is LevelGrad; fine-tuning's gradient check differentiates it
// numerically.
func (q *Quantizer) ContinuousLevel(x float64) float64 {
	l := math.Log(math.Abs(x)*q.s+q.ref) / q.lnBeta
	v := 1 - l/float64(q.max)
	if x < 0 {
		return -v
	}
	return v
}

// Max returns L-1, the largest magnitude level.
func (q *Quantizer) Max() int { return q.max }
