package quantize

import (
	"math"
	"math/rand"
	"testing"
)

// want is one expected quantization of x = |w|/alpha.
type want struct {
	x   float64
	v   int     // magnitude level
	deq float64 // q(w) for alpha = 1
}

// The expectations were computed in Python: y = x*s + ref in float64 as the
// method prescribes, then the level l minimizing |y - beta^l| over all L
// levels compared in exact rational arithmetic (fractions.Fraction), ties to
// the lower l. No logarithm, floor or ceil, so they check that shortcut;
// q(w) is (beta^l - ref)/s in float64 with beta^l from C's pow.
var valueTests = []struct {
	bits int
	loss float64
	want []want
}{
	{1, 0.128, []want{{0.0, 0, 0.0}, {0.001, 0, 0.0}, {0.01, 0, 0.0}, {0.05, 0, 0.0}, {0.1, 0, 0.0}, {0.25, 0, 0.0}, {0.5, 0, 0.0}, {0.75, 1, 1.0}, {0.9, 1, 1.0}, {0.999, 1, 1.0}, {1.0, 1, 1.0}}},
	{2, 0.128, []want{{0.0, 0, 0.0}, {0.001, 0, 0.0}, {0.01, 0, 0.0}, {0.05, 0, 0.0}, {0.1, 0, 0.0}, {0.25, 1, 0.2888575526974786}, {0.5, 2, 0.6201162140477985}, {0.75, 2, 0.6201162140477985}, {0.9, 3, 1.0}, {0.999, 3, 1.0}, {1.0, 3, 1.0}}},
	{3, 0.128, []want{{0.0, 0, 0.0}, {0.001, 0, 0.0}, {0.01, 0, 0.0}, {0.05, 1, 0.09126043441486165}, {0.1, 1, 0.09126043441486165}, {0.25, 2, 0.19591689589979464}, {0.5, 4, 0.4535721015587706}, {0.75, 6, 0.7924209011902407}, {0.9, 7, 1.0}, {0.999, 7, 1.0}, {1.0, 7, 1.0}}},
	{4, 0.128, []want{{0.0, 0, 0.0}, {0.001, 0, 0.0}, {0.01, 0, 0.0}, {0.05, 2, 0.04632256075393149}, {0.1, 4, 0.10724251797808598}, {0.25, 7, 0.23643984629903492}, {0.5, 11, 0.5161779379454112}, {0.75, 13, 0.7251610659636826}, {0.9, 14, 0.8531843301088047}, {0.999, 15, 1.0}, {1.0, 15, 1.0}}},
	{8, 0.128, []want{{0.0, 0, 0.0}, {0.001, 205, 0.0010612659896348244}, {0.01, 221, 0.009496432544934007}, {0.05, 233, 0.04913179923211287}, {0.1, 238, 0.09744964107134803}, {0.25, 245, 0.25419373900278774}, {0.5, 250, 0.5041762975416316}, {0.75, 253, 0.7603839999999998}, {0.9, 254, 0.8719999999999999}, {0.999, 255, 1.0}, {1.0, 255, 1.0}}},
	{4, 0.3, []want{{0.0, 0, 0.0}, {0.001, 0, 0.0}, {0.01, 3, 0.009137104657440982}, {0.05, 7, 0.05315279465209316}, {0.1, 9, 0.11344000187665443}, {0.25, 11, 0.2364751186614734}, {0.5, 13, 0.4875671937325325}, {0.75, 14, 0.6985689374897249}, {0.9, 15, 1.0}, {0.999, 15, 1.0}, {1.0, 15, 1.0}}},
	{8, 0.05, []want{{0.0, 0, 0.0}, {0.001, 120, 0.0009812165905939338}, {0.01, 165, 0.009886298357115275}, {0.05, 197, 0.05104488822842343}, {0.1, 210, 0.09943837752840357}, {0.25, 228, 0.25034252521847417}, {0.5, 241, 0.4876739098986126}, {0.75, 249, 0.7350913377645686}, {0.9, 253, 0.902499796518528}, {0.999, 255, 1.0}, {1.0, 255, 1.0}}},
}

func TestValue(t *testing.T) {
	for _, tt := range valueTests {
		c := Config{Bits: tt.bits, PCMLoss: tt.loss}
		q, err := NewQuantizer(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			// Scale by an alpha that is a power of two so w/alpha == x exactly.
			const alpha = 0.25
			for _, sign := range []float64{1, -1} {
				level, deq := q.Value(sign*w.x*alpha, alpha)
				wantLevel, wantDeq := w.v, sign*w.deq*alpha
				if sign < 0 {
					wantLevel = -w.v
				}
				if level != wantLevel || deq != wantDeq {
					t.Errorf("bits %d loss %v: Value(%v, %v) = %d, %v; want %d, %v",
						tt.bits, tt.loss, sign*w.x*alpha, alpha, level, deq, wantLevel, wantDeq)
				}
			}
		}
	}
}

// With pcm loss 0.5 or 0.25 and one bit every quantity is a short dyadic
// fraction, so x = 0.5 lands exactly halfway between the two transmissions
// (y = 0.75 between 1 and 0.5; y = 0.875 between 1 and 0.75). Ties go to the
// lower level index l = 0, which is magnitude level 1.
func TestValueTies(t *testing.T) {
	tests := []struct {
		loss, x float64
		v       int
	}{
		{0.5, 0.5, 1},
		{0.5, 0.5 - 1e-12, 0},
		{0.25, 0.5, 1},
		{0.25, 0.5 - 1e-12, 0},
	}
	for _, tt := range tests {
		level, _ := Config{Bits: 1, PCMLoss: tt.loss}.QuantizeValue(tt.x, 1)
		if level != tt.v {
			t.Errorf("loss %v: level of x = %v is %d, want %d", tt.loss, tt.x, level, tt.v)
		}
	}
}

func TestValueEdges(t *testing.T) {
	c := Config{Bits: 4, PCMLoss: DefaultPCMLoss}
	tests := []struct {
		name     string
		w, alpha float64
		level    int
	}{
		{"zero scale", 0, 0, 0},
		{"zero scale, nonzero weight", 1, 0, 0},
		{"negative zero", math.Copysign(0, -1), 1, 0},
		{"saturates above alpha", 3, 1, 15},
		{"saturates below -alpha", -3, 1, -15},
	}
	for _, tt := range tests {
		level, deq := c.QuantizeValue(tt.w, tt.alpha)
		if level != tt.level || math.IsNaN(deq) {
			t.Errorf("%s: QuantizeValue(%v, %v) = %d, %v; want level %d", tt.name, tt.w, tt.alpha, level, deq, tt.level)
		}
	}
}

// LevelGrad must be the derivative of the continuous level
// c(x)/(L-1) = sign(x) * (1 - ln(|x|*s + ref) / ln(beta) / (L-1)), checked
// against central differences.
func TestLevelGrad(t *testing.T) {
	for _, c := range []Config{{Bits: 4, PCMLoss: 0.128}, {Bits: 3, PCMLoss: 0.128}, {Bits: 8, PCMLoss: 0.3}} {
		L1 := float64(c.MaxLevel())
		beta := c.Beta()
		ref := math.Pow(beta, L1)
		s := 1 - ref
		cont := func(x float64) float64 {
			v := L1 - math.Log(math.Abs(x)*s+ref)/math.Log(beta)
			return math.Copysign(v/L1, x)
		}
		for _, x := range []float64{-0.9, -0.3, -0.01, 0.01, 0.2, 0.5, 1} {
			const h = 1e-6
			num := (cont(x+h) - cont(x-h)) / (2 * h)
			if got := c.LevelGrad(x); math.Abs(got-num) > 1e-6*math.Abs(num) {
				t.Errorf("bits %d: LevelGrad(%v) = %v, central difference %v", c.Bits, x, got, num)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		c  Config
		ok bool
	}{
		{Config{Bits: 1, PCMLoss: 0.128}, true},
		{Config{Bits: 8, PCMLoss: 0.999}, true},
		{Config{Bits: 0, PCMLoss: 0.128}, false},
		{Config{Bits: 9, PCMLoss: 0.128}, false},
		{Config{Bits: -1, PCMLoss: 0.128}, false},
		{Config{Bits: 4, PCMLoss: 0}, false},
		{Config{Bits: 4, PCMLoss: 1}, false},
		{Config{Bits: 4, PCMLoss: -0.1}, false},
		{Config{Bits: 4, PCMLoss: math.NaN()}, false},
		{Config{Bits: 4, PCMLoss: 0.128, Headroom: 1}, true},
		{Config{Bits: 4, PCMLoss: 0.128, Headroom: 3.5}, true},
		{Config{Bits: 4, PCMLoss: 0.128, Headroom: 0.5}, false},
		{Config{Bits: 4, PCMLoss: 0.128, Headroom: 300}, false},
		{Config{Bits: 4, PCMLoss: 0.128, Headroom: math.Inf(1)}, false},
		{Config{Bits: 4, PCMLoss: 0.128, Headroom: math.NaN()}, false},
	}
	for _, tt := range tests {
		if err := tt.c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v, want ok %v", tt.c, err, tt.ok)
		}
	}
}

func TestQuantizeValuePanicsOnInvalidConfig(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("QuantizeValue with bits 0 did not panic")
		}
	}()
	Config{Bits: 0, PCMLoss: 0.128}.QuantizeValue(1, 1)
}

// powers must round as C's pow does; these are Python's 0.872 ** l (glibc
// pow), where math.Pow is one ulp off for l = 3, 6..15.
func TestPowers(t *testing.T) {
	want := []float64{1, 0.872, 0.760384, 0.663054848, 0.5781838274559999, 0.504176297541632,
		0.4396417314563031, 0.38336758982989627, 0.33429653833166956, 0.29150658142521585,
		0.25419373900278824, 0.22165694041043135, 0.19328485203789614, 0.16854439097704543,
		0.1469707089319836, 0.1281584581886897}
	got := powers(0.872, 15)
	for l := range want {
		if got[l] != want[l] {
			t.Errorf("0.872^%d = %v, want %v", l, got[l], want[l])
		}
	}
}

func TestValueNaN(t *testing.T) {
	level, deq := Config{Bits: 4, PCMLoss: DefaultPCMLoss}.QuantizeValue(math.NaN(), 1)
	if level != 0 || !math.IsNaN(deq) {
		t.Errorf("QuantizeValue(NaN, 1) = %d, %v; want 0, NaN", level, deq)
	}
}

// TestMagnitudeMatchesLogForm compares the table search with the README method's
// literal form, lo/hi = clamp(floor/ceil(ln y / ln beta)), on random x and
// on the transmissions and their midpoints, where rounding is most fragile.
func TestMagnitudeMatchesLogForm(t *testing.T) {
	for _, c := range []Config{{Bits: 4, PCMLoss: 0.128}, {Bits: 3, PCMLoss: 0.128}, {Bits: 8, PCMLoss: 0.02}, {Bits: 1, PCMLoss: 0.5}} {
		q, err := NewQuantizer(c)
		if err != nil {
			t.Fatal(err)
		}
		logForm := func(x float64) int {
			y := float64(x*q.s) + q.ref
			clamp := func(f float64) int { return int(math.Min(math.Max(f, 0), float64(q.max))) }
			t := math.Log(y) / q.lnBeta
			lo, hi := clamp(math.Floor(t)), clamp(math.Ceil(t))
			if math.Abs(y-q.trans[lo]) > math.Abs(y-q.trans[hi]) {
				return q.max - hi
			}
			return q.max - lo
		}
		xs := []float64{0, 1, 1.5, 1e-300}
		for l := range q.trans {
			x := (q.trans[l] - q.ref) / q.s
			xs = append(xs, x, math.Nextafter(x, 0), math.Nextafter(x, 2))
			if l > 0 {
				mid := ((q.trans[l]+q.trans[l-1])/2 - q.ref) / q.s
				xs = append(xs, mid, math.Nextafter(mid, 0), math.Nextafter(mid, 2))
			}
		}
		rng := rand.New(rand.NewSource(1))
		for range 100000 {
			xs = append(xs, rng.Float64())
		}
		for _, x := range xs {
			if got, want := q.Magnitude(x), logForm(x); got != want {
				t.Errorf("%+v: Magnitude(%v) = %d, log form %d", c, x, got, want)
			}
		}
	}
}

// TestSignWithoutBranches: Level and Dequantize, which handle the sign on
// the bits, give what the plain definitions do, bit for bit, for every
// level and for weights of either sign, zeros and NaN included.
func TestSignWithoutBranches(t *testing.T) {
	for _, c := range []Config{{Bits: 4, PCMLoss: 0.128}, {Bits: 8, PCMLoss: 0.02}, {Bits: 1, PCMLoss: 0.5}} {
		q, err := NewQuantizer(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, alpha := range []float64{0, 1, 0.37, 2.5e-3, math.Inf(1), math.NaN()} {
			for level := -q.max; level <= q.max; level++ {
				want := q.deq[max(level, -level)] * alpha
				if level < 0 {
					want = -want
				}
				if got := q.Dequantize(level, alpha); math.Float64bits(got) != math.Float64bits(want) {
					t.Errorf("%+v: Dequantize(%d, %v) = %v, want %v", c, level, alpha, got, want)
				}
			}
		}
		rng := rand.New(rand.NewSource(2))
		ws := []float64{0, math.Copysign(0, -1), math.NaN(), 1, -1, math.Inf(-1)}
		for range 10000 {
			ws = append(ws, rng.NormFloat64())
		}
		for _, w := range ws {
			want := 0
			if !math.IsNaN(w) {
				want = q.Magnitude(math.Abs(w) / 1.5)
				if w < 0 {
					want = -want
				}
			}
			if got := q.Level(w, 1.5); got != want {
				t.Errorf("%+v: Level(%v, 1.5) = %d, want %d", c, w, got, want)
			}
		}
	}
}

// TestMagnitudeByThresholds: counting thresholds gives the levels of the
// nearest rule applied literally (a scan for the two transmissions around
// y, then the nearer one, ties to the higher transmission), for every bit
// width and several PCM losses, at and around every threshold and every
// transmission, on random values, and at the ends.
func TestMagnitudeByThresholds(t *testing.T) {
	for bits := 1; bits <= MaxBits; bits++ {
		for _, loss := range []float64{0.02, 0.128, 0.3, 0.5, 0.9} {
			q, err := NewQuantizer(Config{Bits: bits, PCMLoss: loss})
			if err != nil {
				t.Fatal(err)
			}
			xs := []float64{0, 1, 1.5, -0.5, 1e-300, math.Inf(1), math.NaN()}
			for _, y := range append(append([]float64{}, q.up[:q.max]...), q.trans...) {
				x := (y - q.ref) / q.s
				for range 40 {
					x = math.Nextafter(x, math.Inf(-1))
				}
				for range 80 {
					xs = append(xs, x)
					x = math.Nextafter(x, math.Inf(1))
				}
			}
			rng := rand.New(rand.NewSource(int64(bits)))
			for range 20000 {
				xs = append(xs, rng.Float64()*1.1)
			}
			for _, x := range xs {
				if got, want := q.Magnitude(x), nearestByScan(q, x); got != want {
					t.Fatalf("bits %d loss %v: Magnitude(%v) = %d, the nearest rule %d", bits, loss, x, got, want)
				}
			}
		}
	}
}

// nearestByScan is the nearest rule without tables: the exponents whose
// transmissions enclose y, found by a scan, and the nearer of the two.
func nearestByScan(q *Quantizer, x float64) int {
	y := float64(x*q.s) + q.ref
	var lo, hi int
	switch {
	case !(y < q.trans[0]):
	case !(y > q.trans[q.max]):
		lo, hi = q.max, q.max
	default:
		for q.trans[lo+1] >= y {
			lo++
		}
		hi = lo + 1
	}
	if math.Abs(y-q.trans[lo]) > math.Abs(y-q.trans[hi]) {
		return q.max - hi
	}
	return q.max - lo
}

// TestQuantizeRowIsValue: QuantizeRow gives Value's level and weight bit
// for bit, for every bit width, at scales of zero, NaN, infinity and
// between, on weights of either sign, zeros, NaN and infinities included,
// with and without the dequantized weights.
func TestQuantizeRowIsValue(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	w := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1, -1, 2.5e-3}
	for range 5000 {
		w = append(w, float32(rng.NormFloat64()))
	}
	for bits := 1; bits <= MaxBits; bits++ {
		q, err := NewQuantizer(Config{Bits: bits, PCMLoss: 0.128})
		if err != nil {
			t.Fatal(err)
		}
		for _, alpha := range []float64{0, math.NaN(), math.Inf(1), 1, 3.3, 0.01} {
			levels, deq := make([]int16, len(w)), make([]float32, len(w))
			for i := range deq {
				deq[i] = 42 // what a reused buffer holds
			}
			q.QuantizeRow(levels, deq, w, alpha)
			alone := make([]int16, len(w))
			q.QuantizeRow(alone, nil, w, alpha)
			for i, v := range w {
				level, value := q.Value(float64(v), alpha)
				if int(levels[i]) != level || int(alone[i]) != level {
					t.Fatalf("bits %d, alpha %v: level of %v is %d (%d without deq), Value says %d", bits, alpha, v, levels[i], alone[i], level)
				}
				if want := float32(value); math.Float32bits(deq[i]) != math.Float32bits(want) && !(math.IsNaN(float64(v)) && math.Float32bits(deq[i]) == math.Float32bits(v)) {
					t.Fatalf("bits %d, alpha %v: weight of %v is %v, Value says %v", bits, alpha, v, deq[i], want)
				}
			}
		}
	}
}

// TestQuantizeRowAtThresholds: at and a few float32s either side of every
// level's threshold, of either sign, QuantizeRow gives Value's level, for
// every bit width it counts thresholds for and scales from tiny to huge.
func TestQuantizeRowAtThresholds(t *testing.T) {
	for bits := 1; bits <= MaxBits; bits++ {
		q, err := NewQuantizer(Config{Bits: bits, PCMLoss: 0.128})
		if err != nil {
			t.Fatal(err)
		}
		if q.max > maxCountedLevels {
			continue
		}
		for _, alpha := range []float64{1, 3.3, 1e-30, 1e30, math.Inf(1)} {
			thresholds := make([]float32, q.max)
			q.magnitudeThresholds(thresholds, alpha)
			var w []float32
			for _, th := range thresholds {
				b := math.Float32bits(th)
				for d := -3; d <= 3; d++ {
					if v := math.Float32frombits(uint32(int64(b) + int64(d))); !math.IsNaN(float64(v)) && v >= 0 {
						w = append(w, v, -v)
					}
				}
			}
			for len(w) < minCountedRow+7 {
				w = append(w, w...)
			}
			levels := make([]int16, len(w))
			q.QuantizeRow(levels, nil, w, alpha)
			for i, v := range w {
				if want := q.Level(float64(v), alpha); int(levels[i]) != want {
					t.Fatalf("bits %d, alpha %v: level of %v (bits %#x) is %d, Value says %d", bits, alpha, v, math.Float32bits(v), levels[i], want)
				}
			}
		}
	}
}
