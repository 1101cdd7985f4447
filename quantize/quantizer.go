package quantize

import (
	"math"
	"math/big"
	"math/bits"
)

// Quantizer holds a Config's constants, precomputed so that quantizing one
// weight costs a few comparisons. It is safe for concurrent use.
type Quantizer struct {
	config Config
	max    int     // L-1
	ref    float64 // beta^(L-1), the transmission of the darkest level
	s      float64 // 1 - ref, the width of the transmission range
	lnBeta float64
	trans  []float64 // trans[l] = beta^l, l = 0..L-1
	deq    []float64 // deq[v] = (beta^(L-1-v) - ref) / s: q(w) for alpha = 1
	up     []float64 // thresholds: the magnitude of y is the number at or below y
	least  []uint8   // where Magnitude's count starts, per grid cell of y
}

// NewQuantizer validates c and precomputes its constants.
func NewQuantizer(c Config) (*Quantizer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	beta := c.Beta()
	max := c.MaxLevel()
	q := &Quantizer{
		config: c,
		max:    max,
		trans:  powers(beta, max),
		lnBeta: math.Log(beta),
		deq:    make([]float64, max+1),
	}
	q.ref = q.trans[max]
	q.s = 1 - q.ref
	q.up = thresholds(q.trans)
	q.least = leastTable(q.up, leastGrid)
	for v := range q.deq {
		q.deq[v] = (q.trans[max-v] - q.ref) / q.s
	}
	return q, nil
}

// Config returns the configuration q was built from.
func (q *Quantizer) Config() Config { return q.config }

// Magnitude returns the magnitude level v in 0..L-1 of x = |w|/alpha >= 0.
// Values of x above 1 saturate at L-1.
func (q *Quantizer) Magnitude(x float64) int {
	return magnitude(q.transmission(x), q.trans[0], q.ref, float64(len(q.least)-1), q.least, q.up, q.max)
}

// transmission returns y = x*s + ref, the transmission x = |w|/alpha
// maps to. The conversion stops the compiler from fusing it into an FMA
// (allowed by the spec on some architectures), which would round
// differently from the reference.
func (q *Quantizer) transmission(x float64) float64 { return float64(x*q.s) + q.ref }

// magnitude is Magnitude from the transmission y, with the quantizer's
// constants passed in, so that loops over many weights hold them in
// registers: bright = 1 and dark = ref are the ends of the range, grid the
// resolution of least.
func magnitude(y, bright, dark, grid float64, least []uint8, up []float64, max int) int {
	switch {
	case !(y < bright):
		return max // y >= 1, or NaN
	case !(y > dark):
		return 0
	}
	// start from a lower bound for the grid cell of y and count the
	// thresholds up to y; the grid is fine enough that there are rarely any
	v := int(least[int(y*grid)])
	for up[v] <= y {
		v++
	}
	return v
}

// nearerDarker reports whether y, between the transmissions beta^(l+1) and
// beta^l, is nearer to the darker beta^(l+1): the method's rule, ties going
// to the brighter beta^l, in the arithmetic the reference compares with.
func nearerDarker(trans []float64, l int, y float64) bool {
	return math.Abs(y-trans[l]) > math.Abs(y-trans[l+1])
}

// thresholds returns up: up[v], for v < L-1, is the smallest y whose
// nearest transmission is that of a magnitude above v, and up[L-1] is
// +Inf. Between two adjacent transmissions, nearerDarker holds up to a
// point and not after it (the distances are rounded monotonically), so the
// magnitude of y is the number of thresholds at or below y; each is found
// by bisecting the floats between the two transmissions, so the levels are
// exactly those of the nearest rule.
func thresholds(trans []float64) []float64 {
	max := len(trans) - 1
	up := make([]float64, max+1)
	for v := range max {
		l := max - 1 - v // beta^(l+1) has magnitude v, beta^l v+1
		// positive floats order as their bits do
		below, above := math.Float64bits(trans[l+1]), math.Float64bits(trans[l])
		for above-below > 1 {
			mid := below + (above-below)/2
			if nearerDarker(trans, l, math.Float64frombits(mid)) {
				below = mid
			} else {
				above = mid
			}
		}
		up[v] = math.Float64frombits(above)
	}
	up[max] = math.Inf(1)
	return up
}

// leastGrid is the resolution of the table Magnitude starts from.
const leastGrid = 4096

// leastTable returns, for each grid cell [g, g+1)/(n-1) of y, how many
// thresholds lie at or below (g-1)/(n-1): a lower bound on the magnitude
// of every y that Magnitude puts in the cell, with a cell to spare for the
// rounding of y*(n-1).
func leastTable(up []float64, n int) []uint8 {
	t := make([]uint8, n)
	for g := range t {
		bottom := float64(g-1) / float64(n-1)
		v := 0
		for up[v] <= bottom {
			v++
		}
		t[g] = uint8(v)
	}
	return t
}

// Value quantizes one weight w with scale alpha (the maximum magnitude of
// its tensor or row). It returns the signed level c = pos - neg in
// [-(L-1), L-1] and the dequantized weight
// q(w) = sign(w) * alpha * (beta^l - ref) / (1 - ref). A scale of zero (an
// all-zero tensor) or less gives level 0 and weight 0; a NaN weight gives
// level 0 and weight NaN, so that a diverging fine-tuning shows.
func (q *Quantizer) Value(w, alpha float64) (level int, deq float64) {
	if math.IsNaN(w) {
		return 0, w
	}
	if !(alpha > 0) {
		return 0, 0
	}
	c := q.Level(w, alpha)
	return c, q.Dequantize(c, alpha)
}

// Level is Value's signed level alone.
func (q *Quantizer) Level(w, alpha float64) int {
	if !(alpha > 0) || math.IsNaN(w) {
		return 0
	}
	v := q.Magnitude(math.Abs(w) / alpha)
	// a conditional negation, not a second return: the compiler makes it
	// a conditional move, where a branch on the sign, a coin toss per
	// weight, is mispredicted half the time
	if w < 0 {
		v = -v
	}
	return v
}

// Dequantize returns the weight a signed level c stands for at scale alpha:
// sign(c) * alpha * (beta^(L-1-|c|) - ref) / (1 - ref). It panics if |c|
// exceeds L-1.
func (q *Quantizer) Dequantize(c int, alpha float64) float64 {
	return dequantize(q.deq, c, alpha)
}

// dequantize is Dequantize with the table of magnitudes passed in.
func dequantize(table []float64, c int, alpha float64) float64 {
	// -(table[|c|] * alpha) for negative c, computed on the bits without
	// a branch on the sign, a coin toss per weight (see Level)
	sign := c >> (bits.UintSize - 1) // -1 for negative c, else 0
	d := table[(c^sign)-sign] * alpha
	return math.Float64frombits(math.Float64bits(d) ^ uint64(sign)&(1<<63))
}

// LevelGrad is the derivative of the continuous signed level, divided by
// L-1, with respect to x = w/alpha:
//
//	d(c/(L-1))/dx = s / ((|x|*s + ref) * (-ln beta) * (L-1)),  s = 1 - ref.
//
// It is the same for either sign of x. Fine-tuning uses it in the backward
// pass in place of the rounded level's zero derivative.
func (q *Quantizer) LevelGrad(x float64) float64 {
	c := q.gradientConstants(1)
	return c.levelGrad(x)
}

// QuantizeValue is Quantizer.Value for a one-off weight; loops over many
// weights should build a Quantizer once instead. It panics if c is invalid.
func (c Config) QuantizeValue(w, alpha float64) (level int, deq float64) {
	return c.mustQuantizer().Value(w, alpha)
}

// LevelGrad is Quantizer.LevelGrad for a one-off value. It panics if c is
// invalid.
func (c Config) LevelGrad(x float64) float64 {
	return c.mustQuantizer().LevelGrad(x)
}

// mustQuantizer builds c's Quantizer, panicking if c is invalid: the
// element-wise helpers have no error result.
func (c Config) mustQuantizer() *Quantizer {
	q, err := NewQuantizer(c)
	if err != nil {
		panic(err)
	}
	return q
}

// powers returns beta^l for l = 0..max, each correctly rounded. The level
// choice compares weights against these transmissions, so they must round
// as the reference's C pow does; math.Pow is often one ulp off (0.872^3 for
// one).
func powers(beta float64, max int) []float64 {
	p := make([]float64, max+1)
	b := new(big.Float).SetFloat64(beta)
	// The precision grows by 53 bits per factor, so every product is exact
	// and only the final conversion rounds.
	x := new(big.Float).SetFloat64(1)
	for l := range p {
		if l > 0 {
			x.SetPrec(uint(53*(l+1))).Mul(x, b)
		}
		p[l], _ = x.Float64()
	}
	return p
}
