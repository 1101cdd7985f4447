package quantize

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// A 2x3 matrix whose row maxima differ, at 4 bits and the default loss.
// Levels by hand from the valueTests table: per tensor alpha = 2, so
// x = 1, 0.5, 0.1 -> 15, 11, 4 and row 1 (x = 0.25, 0, 0.05) -> 7, 0, 2;
// per row, row 1 has alpha = 0.5, so x = 1, 0, 0.2.
func TestQuantize(t *testing.T) {
	m := []float32{
		2, -1, 0.2,
		-0.5, 0, 0.1,
	}
	c := Config{Bits: 4, PCMLoss: DefaultPCMLoss}
	lv, err := Quantize(m, 2, 3, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int16{15, -11, 4, -7, 0, 2}; !slices.Equal(lv.Signed, want) {
		t.Errorf("per tensor: levels %v, want %v", lv.Signed, want)
	}
	if !slices.Equal(lv.Scale, []float64{2}) {
		t.Errorf("per tensor: scale %v, want [2]", lv.Scale)
	}

	c.PerRow = true
	lv, err = Quantize(m, 2, 3, c)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := NewQuantizer(c)
	// Row 1: x = 1, 0, 0.2; the level of 0.2 comes from the quantizer,
	// which TestValue checks.
	if want := []int16{15, -11, 4, -15, 0, int16(q.Magnitude(0.2))}; !slices.Equal(lv.Signed, want) {
		t.Errorf("per row: levels %v, want %v", lv.Signed, want)
	}
	if !slices.Equal(lv.Scale, []float64{2, 0.5}) {
		t.Errorf("per row: scale %v, want [2 0.5]", lv.Scale)
	}
	if lv.Pos(0) != 15 || lv.Neg(0) != 0 || lv.Pos(1) != 0 || lv.Neg(1) != 11 {
		t.Errorf("Pos/Neg of 15, -11 = %d/%d, %d/%d", lv.Pos(0), lv.Neg(0), lv.Pos(1), lv.Neg(1))
	}
	if lv.At(1, 0) != -15 {
		t.Errorf("At(1, 0) = %d, want -15", lv.At(1, 0))
	}
}

// TestQuantizeHeadroom: with headroom h every weight is quantized against
// alpha = h * max|w|, so the largest one no longer takes the top level.
func TestQuantizeHeadroom(t *testing.T) {
	m := []float32{
		2, -1, 0.2,
		-0.5, 0, 0.1,
	}
	for _, perRow := range []bool{false, true} {
		c := Config{Bits: 4, PCMLoss: DefaultPCMLoss, PerRow: perRow, Headroom: 2}
		lv, err := Quantize(m, 2, 3, c)
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{4}
		if perRow {
			want = []float64{4, 1}
		}
		if !slices.Equal(lv.Scale, want) {
			t.Errorf("per row %v: scale %v, want %v", perRow, lv.Scale, want)
		}
		q, _ := NewQuantizer(c)
		for i, w := range m {
			alpha := lv.Alpha(i / 3)
			if c, _ := q.Value(float64(w), alpha); int(lv.Signed[i]) != c {
				t.Errorf("per row %v: weight %v has level %d, want %d (alpha %v)", perRow, w, lv.Signed[i], c, alpha)
			}
		}
		if lv.Signed[0] >= 15 {
			t.Errorf("per row %v: the largest weight has level %d with headroom 2, want below 15", perRow, lv.Signed[0])
		}
	}
}

func TestDequantized(t *testing.T) {
	m := []float32{2, -1, 0.2, -0.5, 0, 0.1}
	lv, err := Quantize(m, 2, 3, Config{Bits: 4, PCMLoss: DefaultPCMLoss})
	if err != nil {
		t.Fatal(err)
	}
	// q(w) = alpha * (beta^l - ref)/s with the values of the valueTests table
	// (x = 1, 0.5, 0.1, 0.25, 0, 0.05), alpha = 2.
	want := []float32{2, -2 * 0.5161779379454112, 2 * 0.10724251797808598,
		-2 * 0.23643984629903492, 0, 2 * 0.04632256075393149}
	if got := lv.Dequantized(); !slices.Equal(got, want) {
		t.Errorf("Dequantized() = %v, want %v", got, want)
	}
}

func TestQuantizeZeros(t *testing.T) {
	for _, perRow := range []bool{false, true} {
		lv, err := Quantize(make([]float32, 6), 2, 3, Config{Bits: 4, PCMLoss: DefaultPCMLoss, PerRow: perRow})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(lv.Signed, func(c int16) bool { return c != 0 }) {
			t.Errorf("per row %v: all-zero matrix has levels %v", perRow, lv.Signed)
		}
		if slices.ContainsFunc(lv.Dequantized(), func(w float32) bool { return w != 0 }) {
			t.Errorf("per row %v: all-zero matrix dequantizes to %v", perRow, lv.Dequantized())
		}
	}
	// One zero row among others, per row.
	lv, err := Quantize([]float32{0, 0, 1, -1}, 2, 2, Config{Bits: 2, PCMLoss: DefaultPCMLoss, PerRow: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int16{0, 0, 3, -3}; !slices.Equal(lv.Signed, want) {
		t.Errorf("levels %v, want %v", lv.Signed, want)
	}
}

func TestQuantizeErrors(t *testing.T) {
	c := Config{Bits: 4, PCMLoss: DefaultPCMLoss}
	tests := []struct {
		name       string
		m          []float32
		rows, cols int
		c          Config
		want       string
	}{
		{"shape", make([]float32, 5), 2, 3, c, "do not form a [2, 3] matrix"},
		{"no rows", nil, 0, 3, c, "do not form"},
		{"NaN", []float32{0, float32(math.NaN()), 0, 0}, 2, 2, c, "weight [0, 1] is NaN"},
		{"Inf", []float32{0, 0, 0, float32(math.Inf(-1))}, 2, 2, c, "weight [1, 1] is -Inf"},
		{"bits", make([]float32, 4), 2, 2, Config{Bits: 9, PCMLoss: 0.1}, "bits 9 outside 1..8"},
		{"loss", make([]float32, 4), 2, 2, Config{Bits: 4, PCMLoss: 1}, "pcm loss 1 outside (0, 1)"},
	}
	for _, tt := range tests {
		_, err := Quantize(tt.m, tt.rows, tt.cols, tt.c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestHistogram(t *testing.T) {
	lv := &Levels{Config: Config{Bits: 2, PCMLoss: DefaultPCMLoss}, Rows: 1, Cols: 5, Scale: []float64{1},
		Signed: []int16{-3, 0, 0, 2, 3}}
	if got, want := lv.Histogram(), []int64{1, 0, 0, 2, 0, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("Histogram() = %v, want %v", got, want)
	}
}

// DequantizeTo looks each value up in a table per scale: it must give
// Dequantize's float32 for every level, at one scale and at one a row.
func TestDequantizeToMatchesDequantize(t *testing.T) {
	for _, perRow := range []bool{false, true} {
		c := Config{Bits: 4, PCMLoss: 0.128, PerRow: perRow}
		rows, cols := 7, 40
		w := make([]float32, rows*cols)
		for i := range w {
			w[i] = float32(math.Sin(float64(i)*1.7)) * float32(1+i/cols)
		}
		lv, err := Quantize(w, rows, cols, c)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := NewQuantizer(c)
		out := make([]float32, len(w))
		lv.DequantizeTo(out)
		for i, v := range lv.Signed {
			if want := float32(q.Dequantize(int(v), lv.Alpha(i/cols))); math.Float32bits(out[i]) != math.Float32bits(want) {
				t.Fatalf("perRow %v: element %d is %v, want %v", perRow, i, out[i], want)
			}
		}
	}
}
