package network

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestMaxPoolStride2MatchesScalar runs max pooling's stride-2 rows with the
// inner windows on the vector loops and with every window on the scalar
// loop, and compares y and dx bit for bit: cells drawn from a few values
// (ties, so the first match decides), NaNs with payloads, both zeros and
// infinities.
func TestMaxPoolStride2MatchesScalar(t *testing.T) {
	specials := []float32{
		0, float32(math.Copysign(0, -1)), 1, -1, 2,
		float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00abc), math.Float32frombits(0x7f800123),
	}
	rng := rand.New(rand.NewSource(4))
	for _, g := range []struct{ h, wd, k, pad int }{
		{112, 112, 3, 1}, // ResNet's stem
		{9, 37, 3, 1},
		{8, 40, 3, 0},
		{7, 21, 5, 2},
		{6, 18, 2, 1}, // 2x2 stride 2 that leaves the input: not halves
	} {
		t.Run(fmt.Sprint(g), func(t *testing.T) {
			out := func(size int) int { return (size+2*g.pad-g.k)/2 + 1 }
			win := &window{
				kernel: []int{g.k, g.k}, strides: []int{2, 2}, dilations: []int{1, 1},
				begin: []int{g.pad, g.pad}, end: []int{g.pad, g.pad}, out: []int{out(g.h), out(g.wd)},
			}
			vector := newPool2d(win, 1, g.h, g.wd)
			if vector.inner[1]-vector.inner[0] < 8 {
				t.Fatalf("inner outputs %v: the vector loops would not run", vector.inner)
			}
			scalar := *vector
			scalar.inner = [2]int{}
			x := make([]float32, g.h*g.wd)
			for i := range x {
				if rng.Intn(4) == 0 {
					x[i] = specials[rng.Intn(len(specials))]
				} else {
					x[i] = float32(rng.Intn(3))
				}
			}
			dy := uniform(rng, len(vector.rows)*len(vector.cols))
			run := func(p *pool2d) (y, dx []float32) {
				y, dx = make([]float32, len(dy)), make([]float32, len(x))
				at := make([]int32, len(p.cols))
				for oh := range p.rows {
					row := oh * len(p.cols)
					p.maxRow(x, oh, y[row:])
				}
				for oh := range p.rows {
					row := oh * len(p.cols)
					p.maxGradRow(x, dx, oh, y[row:], dy[row:], at)
				}
				return y, dx
			}
			wantY, wantDx := run(&scalar)
			gotY, gotDx := run(vector)
			for i := range wantY {
				if math.Float32bits(gotY[i]) != math.Float32bits(wantY[i]) {
					t.Fatalf("y[%d] = %g (%#x), scalar %g (%#x)", i, gotY[i], math.Float32bits(gotY[i]), wantY[i], math.Float32bits(wantY[i]))
				}
			}
			for i := range wantDx {
				if math.Float32bits(gotDx[i]) != math.Float32bits(wantDx[i]) {
					t.Fatalf("dx[%d] = %g, scalar %g", i, gotDx[i], wantDx[i])
				}
			}
		})
	}
}
