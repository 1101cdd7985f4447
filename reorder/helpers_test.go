package reorder

import (
	"math/rand/v2"
	"testing"

	"github.com/elight-photonic/elight/quantize"
)

// randomLevels returns a [rows, cols] level matrix at the given bits with
// levels drawn as real weights fall: mostly small magnitudes, some zeros,
// a few extremes.
func randomLevels(rng *rand.Rand, rows, cols, bits int) *quantize.Levels {
	maxL := 1<<bits - 1
	lv := newLevels(rows, cols, bits)
	for i := range lv.Signed {
		v := int(rng.NormFloat64() * float64(maxL) / 4)
		lv.Signed[i] = int16(min(maxL, max(-maxL, v)))
	}
	return lv
}

// newLevels returns an all-zero [rows, cols] level matrix at the given bits.
func newLevels(rows, cols, bits int) *quantize.Levels {
	return &quantize.Levels{
		Config: quantize.Config{Bits: bits, PCMLoss: quantize.DefaultPCMLoss},
		Rows:   rows, Cols: cols, Scale: []float64{1},
		Signed: make([]int16, rows*cols),
	}
}

// levelsOf returns the level matrix with the given rows.
func levelsOf(bits int, rows ...[]int16) *quantize.Levels {
	lv := newLevels(len(rows), len(rows[0]), bits)
	for r, row := range rows {
		copy(lv.Signed[r*lv.Cols:], row)
	}
	return lv
}

// mustPartition is Partition failing the test on error.
func mustPartition(t testing.TB, lv *quantize.Levels, k int) *Layer {
	t.Helper()
	l, err := Partition(lv, k)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// mustPlan is Plan failing the test on error.
func mustPlan(t testing.TB, l *Layer, s Strategy) *Order {
	t.Helper()
	o, err := Plan(l, s)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// mustAccount is Account failing the test on error.
func mustAccount(t testing.TB, l *Layer, o *Order, p Profile) Stats {
	t.Helper()
	s, err := Account(l, o, p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newRand returns a deterministic generator for test data.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }
