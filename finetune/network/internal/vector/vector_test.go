package vector

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// specials are the values whose handling differs between Go's max and the
// vector instructions: NaNs (quiet and signalling, with payloads), both
// zeros, infinities, denormals; drawn often, so that pairs of them and ties
// come up in every window.
var specials = []float32{
	float32(math.NaN()), math.Float32frombits(0x7fc01234), math.Float32frombits(0xffc00001),
	math.Float32frombits(0x7f800001), // signalling NaN
	0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
	math.Float32frombits(1), math.Float32frombits(0x80000003), 1, -1, 2.5, -2.5,
}

func values(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		if rng.IntN(2) == 0 {
			v[i] = specials[rng.IntN(len(specials))]
		} else {
			v[i] = float32(rng.NormFloat64())
		}
	}
	return v
}

// sameBits reports the first index where got and want differ in their bits.
func sameBits(t *testing.T, name string, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s, length %d: [%d] = %v (%#08x), want %v (%#08x)", name, n, i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// The references below are the element-wise definitions as Go evaluates
// them one element at a time.

func TestBiasReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 70 {
		for _, b := range []float32{0, float32(math.Copysign(0, -1)), 0.5, -3, float32(math.NaN())} {
			src := values(rng, n)
			want := make([]float32, n)
			for i, v := range src {
				want[i] = max(v+b, 0)
			}
			got := make([]float32, n)
			BiasReLU(got, src, b)
			sameBits(t, "BiasReLU", n, got, want)
			BiasReLU(src, src, b) // in place
			sameBits(t, "BiasReLU in place", n, src, want)
		}
	}
}

func TestAddBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 70 {
		for _, b := range []float32{0, float32(math.Copysign(0, -1)), 0.5, float32(math.Inf(-1))} {
			src := values(rng, n)
			want := make([]float32, n)
			for i, v := range src {
				want[i] = v + b
			}
			got := make([]float32, n)
			AddBias(got, src, b)
			sameBits(t, "AddBias", n, got, want)
		}
	}
}

func TestAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for n := range 70 {
		dst, src := values(rng, n), values(rng, n)
		want := make([]float32, n)
		for i := range want {
			want[i] = dst[i]
			want[i] += src[i]
		}
		Add(dst, src)
		sameBits(t, "Add", n, dst, want)
	}
}

func TestReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 70 {
		src := values(rng, n)
		want := make([]float32, n)
		for i, v := range src {
			want[i] = max(v, 0)
		}
		got := make([]float32, n)
		ReLU(got, src)
		sameBits(t, "ReLU", n, got, want)
	}
}

func TestReLUGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := range 70 {
		y, dy := values(rng, n), values(rng, n)
		for i := range y {
			y[i] = max(y[i], 0) // a ReLU's output: +0, positive or NaN
		}
		want := make([]float32, n)
		for i := range y {
			if y[i] > 0 || y[i] != y[i] {
				want[i] = dy[i]
			}
		}
		got := make([]float32, n)
		ReLUGrad(got, y, dy)
		sameBits(t, "ReLUGrad", n, got, want)
	}
}

func TestMaxPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := range 40 {
		for range 20 {
			top, bottom := values(rng, 2*n+1), values(rng, 2*n+1) // one cell more than read
			want := make([]float32, n)
			for i := range want {
				want[i] = max(max(top[2*i], top[2*i+1]), max(bottom[2*i], bottom[2*i+1]))
			}
			got := make([]float32, n)
			MaxPairs(got, top, bottom)
			sameBits(t, "MaxPairs", n, got, want)
		}
	}
}

func TestMaxPool2x2(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, width := range []int{2, 4, 6, 8, 10, 16, 18, 32, 48} {
		for pairs := range 9 {
			x := values(rng, 2*width*pairs)
			want := make([]float32, width/2*pairs)
			for r := range pairs {
				for c := range width / 2 {
					top, bottom := x[2*r*width+2*c:], x[(2*r+1)*width+2*c:]
					want[r*width/2+c] = max(max(top[0], top[1]), max(bottom[0], bottom[1]))
				}
			}
			got := make([]float32, len(want))
			MaxPool2x2(got, x, width)
			sameBits(t, fmt.Sprintf("MaxPool2x2 width %d", width), pairs, got, want)
		}
	}
}

func TestGather(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for n := range 70 {
		src := values(rng, 1+rng.IntN(40))
		at := make([]int32, n)
		for i := range at {
			at[i] = int32(rng.IntN(len(src)+len(src)/2)) - int32(len(src)/2) // a third padding
		}
		for j := 0; j+8 <= n && len(src) >= 15; j += 8 {
			if rng.IntN(2) == 0 {
				stride2Run(rng, at[j:j+8], len(src))
			}
		}
		want := make([]float32, n)
		for i, a := range at {
			if a >= 0 {
				want[i] = src[a]
			}
		}
		got := values(rng, n) // overwritten everywhere
		Gather(got, src, at)
		sameBits(t, "Gather", n, got, want)
	}
}

// stride2Run fills at, eight offsets into a source of n >= 15 cells,
// with a run two cells apart (a stride-2 convolution's), the last one at
// times the source's last cell, and at times spoils it: one lane one cell
// back, or the first lanes in the padding.
func stride2Run(rng *rand.Rand, at []int32, n int) {
	first := int32(rng.IntN(n - 14))
	if rng.IntN(4) == 0 {
		first = int32(n - 15) // the last lane reads the last cell
	}
	for i := range at {
		at[i] = first + 2*int32(i)
	}
	switch rng.IntN(4) {
	case 0:
		at[rng.IntN(8)]-- // -1, the padding, for a first lane at 0
	case 1:
		for i := range 1 + rng.IntN(3) {
			at[i] = -1 - int32(rng.IntN(2))
		}
	case 2:
		// lane 0 in the padding, -1, where a run from -1 would be: a
		// stride-2 filter tap at the left edge of the first row
		for i := range at {
			at[i] = -1 + 2*int32(i)
		}
	}
}

func TestGatherBlock(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for rows := range 9 {
		for runs := range 5 {
			for _, extra := range []int{0, 3, 16} {
				stride := 8*rows + extra
				srcs, ats := make([][]float32, rows), make([][]int32, rows)
				for r := range rows {
					src := values(rng, 8+rng.IntN(40))
					at := make([]int32, 8*runs+rng.IntN(3)) // at times longer than needed
					for i := range at {
						at[i] = int32(rng.IntN(len(src)+len(src)/2)) - int32(len(src)/2) // a third padding
					}
					for j := range runs {
						switch rng.IntN(3) {
						case 0: // eight consecutive cells, the first one at -1 at times
							first := int32(rng.IntN(len(src)-6)) - 1
							for i := range int32(8) {
								at[8*j+int(i)] = min(first+i, int32(len(src)-1))
							}
						case 2: // two apart, at times with a lane off or in the padding
							if len(src) >= 15 {
								stride2Run(rng, at[8*j:8*j+8], len(src))
							}
						case 1: // consecutive with padding at either end (-1 or another negative) or both
							first := int32(rng.IntN(len(src)-7)) - 3
							left, right := rng.IntN(4), 8-rng.IntN(4)
							for i := range 8 {
								at[8*j+i] = first + int32(i)
								if i < left || i >= right || at[8*j+i] < 0 {
									at[8*j+i] = -1 - int32(rng.IntN(2))
								}
							}
						}
					}
					srcs[r], ats[r] = src, at
				}
				dst := values(rng, max(0, (runs-1)*stride+8*rows))
				want := append([]float32(nil), dst...) // untouched between runs
				for r := range rows {
					for i, a := range ats[r][:8*runs] {
						cell := i/8*stride + 8*r + i%8
						want[cell] = 0
						if a >= 0 {
							want[cell] = srcs[r][a]
						}
					}
				}
				GatherBlock(dst, stride, srcs, ats, runs)
				sameBits(t, fmt.Sprintf("GatherBlock rows %d stride %d", rows, stride), runs, dst, want)
			}
		}
	}
}

func BenchmarkGather(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	src := values(rng, 49)
	at := make([]int32, 1<<14)
	for i := range at {
		at[i] = int32(rng.IntN(60)) - 11
	}
	dst := make([]float32, len(at))
	b.SetBytes(int64(8 * len(at)))
	for b.Loop() {
		Gather(dst, src, at)
	}
}

func TestMaxPool2x2Grad(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, width := range []int{2, 4, 6, 8, 10, 16, 18, 32, 48} {
		for pairs := range 9 {
			x := values(rng, 2*width*pairs)
			half := width / 2
			y, dy := make([]float32, half*pairs), values(rng, half*pairs)
			want := make([]float32, len(x))
			for i := range y {
				at := 2*width*(i/half) + 2*(i%half)
				window := []int{at, at + 1, at + width, at + width + 1}
				switch rng.IntN(4) {
				case 0: // no cell matches
					y[i] = float32(rng.NormFloat64())
				case 1: // a tie: the window's cells equal
					v := x[window[rng.IntN(4)]]
					for _, c := range window {
						x[c] = v
					}
					y[i] = v
				default: // the output of the forward pass
					y[i] = max(max(x[at], x[at+1]), max(x[at+width], x[at+width+1]))
				}
				winner := window[3]
				for k := 2; k >= 0; k-- {
					if math.Float32bits(x[window[k]]) == math.Float32bits(y[i]) {
						winner = window[k]
					}
				}
				want[winner] += dy[i]
			}
			got := values(rng, len(x)) // overwritten everywhere
			MaxPool2x2Grad(got, x, y, dy, width)
			sameBits(t, fmt.Sprintf("MaxPool2x2Grad width %d", width), pairs, got, want)
		}
	}
}

func BenchmarkBiasReLU(b *testing.B) {
	src := values(rand.New(rand.NewPCG(1, 1)), 1<<16)
	dst := make([]float32, len(src))
	b.SetBytes(int64(8 * len(src)))
	for b.Loop() {
		BiasReLU(dst, src, 0.25)
	}
}

func BenchmarkMaxPairs(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	top, bottom := values(rng, 1<<15), values(rng, 1<<15)
	y := make([]float32, len(top)/2)
	b.SetBytes(int64(4 * (len(top) + len(bottom) + len(y))))
	for b.Loop() {
		MaxPairs(y, top, bottom)
	}
}

func TestMaxStride2(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for n := 1; n < 40; n++ {
		for _, extra := range []int{-1, 0, 5} { // src as short as allowed, even, longer
			src := values(rng, 2*n+extra)
			best := values(rng, n)
			want := append([]float32(nil), best...)
			for j := range want {
				want[j] = max(want[j], src[2*j])
			}
			MaxStride2(best, src)
			sameBits(t, fmt.Sprintf("MaxStride2 src %d", len(src)), n, best, want)
		}
	}
}

func TestMatchStride2(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for n := 1; n < 40; n++ {
		for _, extra := range []int{-1, 0, 5} {
			src := values(rng, 2*n+extra)
			y := values(rng, n)
			for j := range y {
				if rng.IntN(3) > 0 { // two thirds of the outputs are their cell
					y[j] = src[2*j]
					if y[j] == 0 && rng.IntN(2) == 0 {
						y[j] = -y[j] // equal as floats, not as bits
					}
				}
			}
			at := make([]int32, n)
			for j := range at {
				at[j] = int32(rng.IntN(9)) - 1
			}
			want := append([]int32(nil), at...)
			for j := range want {
				if math.Float32bits(src[2*j]) == math.Float32bits(y[j]) {
					want[j] = 77
				}
			}
			MatchStride2(at, y, src, 77)
			for j := range want {
				if at[j] != want[j] {
					t.Fatalf("MatchStride2 n %d src %d: at[%d] = %d, want %d", n, len(src), j, at[j], want[j])
				}
			}
		}
	}
}

func TestInterleave4(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for n := range 30 {
		var rows [4][]float32
		for r := range rows {
			rows[r] = values(rng, n+rng.IntN(3)) // longer rows are cut to the first's length
		}
		rows[0] = rows[0][:n]
		want := make([]float32, 4*n)
		for i := range n {
			for r := range 4 {
				want[4*i+r] = rows[r][i]
			}
		}
		got := values(rng, 4*n)
		Interleave4(got, &rows)
		sameBits(t, "Interleave4", n, got, want)
	}
}
