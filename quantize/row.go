package quantize

import (
	"fmt"
	"math"
)

// QuantizeRow is Value for every weight of w at one scale alpha: it
// stores the signed levels in levels and, unless deq is nil, the weights
// they stand for in deq, bit for bit as Value computes them one at a time.
// levels and deq must be as long as w.
//
// A weight's level only grows with its magnitude, so for one scale each
// level has a threshold, the smallest float32 magnitude that reaches it,
// and a weight's magnitude level is the number of thresholds at or below
// its magnitude. On amd64 with AVX2 rows long enough to repay finding the
// thresholds are counted sixteen weights at a time; elsewhere each weight
// takes Value's path, with the quantizer's constants in registers.
func (q *Quantizer) QuantizeRow(levels []int16, deq []float32, w []float32, alpha float64) {
	if len(levels) != len(w) || deq != nil && len(deq) != len(w) {
		panic(fmt.Sprintf("quantize: QuantizeRow of %d weights into %d levels and %d weights", len(w), len(levels), len(deq)))
	}
	if !(alpha > 0) {
		clear(levels)
		for i := range deq {
			deq[i] = 0
			if w[i] != w[i] {
				deq[i] = w[i]
			}
		}
		return
	}
	done := 0
	if q.max <= maxCountedLevels && len(w) >= minCountedRow && hasLevelCounter {
		var thresholds [maxCountedLevels]float32
		q.magnitudeThresholds(thresholds[:q.max], alpha)
		done = countLevels(levels, w, thresholds[:q.max])
	}
	q.levelsScalar(levels[done:], w[done:], alpha)
	if deq == nil {
		return
	}
	// what each level stands for at this scale, computed once per level
	var values [2*(1<<MaxBits-1) + 1]float32
	for c := -q.max; c <= q.max; c++ {
		values[c+q.max] = float32(dequantize(q.deq, c, alpha))
	}
	deq, w = deq[:len(levels)], w[:len(levels)]
	for i, c := range levels {
		deq[i] = values[int(c)+q.max]
		if w[i] != w[i] {
			deq[i] = w[i] // a diverging fine-tuning shows
		}
	}
}

// maxCountedLevels is the most magnitude levels (L-1) QuantizeRow counts
// thresholds for: one comparison per threshold and weight beats the table
// walk up to about 5 bits.
const maxCountedLevels = 31

// minCountedRow is the shortest row QuantizeRow counts thresholds for:
// finding them costs about as much as quantizing a few hundred weights.
const minCountedRow = 256

// levelsScalar is QuantizeRow's levels one weight at a time, for alpha > 0.
func (q *Quantizer) levelsScalar(levels []int16, w []float32, alpha float64) {
	s, ref, bright, grid := q.s, q.ref, q.trans[0], float64(len(q.least)-1)
	least, up, max := q.least, q.up, q.max
	levels = levels[:len(w)]
	for i, v := range w {
		y := float64(math.Abs(float64(v))/alpha*s) + ref // transmission
		m := magnitude(y, bright, ref, grid, least, up, max)
		// the sign on the bits, without a branch (see Level); -0 and
		// NaN have magnitude 0
		sign := int(int32(math.Float32bits(v)) >> 31)
		if v != v {
			m = 0
		}
		levels[i] = int16((m ^ sign) - sign)
	}
}

// magnitudeOf is the magnitude level of a weight magnitude a >= 0 (a
// float32's value) at scale alpha > 0: levelsScalar's arithmetic.
func (q *Quantizer) magnitudeOf(a float32, alpha float64) int {
	return q.Magnitude(float64(a) / alpha)
}

// magnitudeThresholds stores in t[k-1], for k = 1..L-1, the smallest
// float32 magnitude whose level at scale alpha > 0 is at least k. Levels
// only grow with the magnitude (every step of magnitudeOf rounds
// monotonically), so each is found by bisecting the float32s, which order
// as their bits do; +Inf, whose level is L-1, bounds every search. The
// continuous inverse of the level narrows the start.
func (q *Quantizer) magnitudeThresholds(t []float32, alpha float64) {
	const inf = 0x7f800000 // +Inf's bits
	below := uint32(0)     // a magnitude whose level is below k: 0 has level 0
	for k := 1; k <= q.max; k++ {
		lo, hi := below, uint32(inf)
		// the magnitude whose transmission is the threshold up[k-1], and a
		// few hundred float32s either side of it
		if guess := float32((q.up[k-1] - q.ref) / q.s * alpha); guess > 0 && guess < float32(math.Inf(1)) {
			g := math.Float32bits(guess)
			narrowLo, narrowHi := max(g-256, lo), min(g+256, hi)
			if narrowLo < narrowHi && q.magnitudeOf(math.Float32frombits(narrowLo), alpha) < k && q.magnitudeOf(math.Float32frombits(narrowHi), alpha) >= k {
				lo, hi = narrowLo, narrowHi
			}
		}
		// level(lo) < k <= level(hi)
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if q.magnitudeOf(math.Float32frombits(mid), alpha) >= k {
				hi = mid
			} else {
				lo = mid
			}
		}
		t[k-1] = math.Float32frombits(hi)
		below = lo
	}
}
