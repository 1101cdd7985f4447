package quantize

import (
	"fmt"
	"math"
)

// Gradients stores, for each weight w[i] of a row at scale alpha > 0, the
// derivatives of its continuous signed level divided by L-1 with respect
// to the weight and to the scale:
//
//	dw[i] = LevelGrad(x) / alpha,  dalpha[i] = -LevelGrad(x) * x / alpha,  x = w[i] / alpha,
//
// bit for bit as those expressions give them one weight at a time (on
// amd64 with AVX, four at a time). Fine-tuning passes its gradient through
// them to every weight and to the scale, which is the largest weight. dw
// and dalpha must be as long as w.
func (q *Quantizer) Gradients(dw, dalpha []float64, w []float32, alpha float64) {
	if len(dw) != len(w) || len(dalpha) != len(w) {
		panic(fmt.Sprintf("quantize: Gradients of %d weights into %d and %d derivatives", len(w), len(dw), len(dalpha)))
	}
	c := q.gradientConstants(alpha)
	done := gradientsVector(dw, dalpha, w, &c)
	gradientsScalar(dw[done:], dalpha[done:], w[done:], &c)
}

// gradientConstants are what Gradients computes with, in the order the
// assembly reads them.
type gradientConstants struct {
	alpha, s, ref, negLnBeta, max float64
}

// gradientConstants returns the constants of Gradients at scale alpha.
func (q *Quantizer) gradientConstants(alpha float64) gradientConstants {
	return gradientConstants{alpha: alpha, s: q.s, ref: q.ref, negLnBeta: -q.lnBeta, max: float64(q.max)}
}

// gradientsScalar is Gradients one weight at a time: the definition the
// vector code must match bit for bit.
func gradientsScalar(dw, dalpha []float64, w []float32, c *gradientConstants) {
	dw, dalpha = dw[:len(w)], dalpha[:len(w)]
	for i, v := range w {
		x := float64(v) / c.alpha
		g := c.levelGrad(x)
		dw[i] = g / c.alpha
		d := -g * x
		if x != x {
			// a NaN weight passes its own NaN on, as the assembly does,
			// whichever operand the compiler puts first
			d = x
		}
		dalpha[i] = d / c.alpha
	}
}

// levelGrad is Quantizer.LevelGrad: the one definition of the derivative.
func (c *gradientConstants) levelGrad(x float64) float64 {
	// the conversion keeps the compiler from fusing a multiply-add, as in
	// transmission
	return c.s / ((float64(math.Abs(x)*c.s) + c.ref) * c.negLnBeta * c.max)
}
