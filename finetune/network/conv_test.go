package network

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"testing"
)

// TestConvolutionMatchesDirect compares the im2col convolution, in every
// path (row shifts, per-pixel offsets, grouped images, 1x1, fused ReLU),
// with the convolution computed from its definition.
func TestConvolutionMatchesDirect(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // the convolution's two ways of splitting work
	type geometry struct {
		x, w                       []int
		strides, dilations, begins [2]int
		out                        [2]int
		relu                       bool
	}
	cases := []geometry{
		{x: []int{2, 3, 12, 10}, w: []int{4, 3, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, begins: [2]int{1, 1}, out: [2]int{12, 10}},
		{x: []int{2, 3, 12, 10}, w: []int{4, 3, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{2, 2}, begins: [2]int{2, 2}, out: [2]int{12, 10}, relu: true},
		{x: []int{3, 2, 11, 9}, w: []int{5, 2, 3, 2}, strides: [2]int{2, 3}, dilations: [2]int{1, 1}, begins: [2]int{1, 0}, out: [2]int{6, 3}},
		{x: []int{40, 3, 4, 4}, w: []int{6, 3, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, begins: [2]int{1, 1}, out: [2]int{4, 4}, relu: true},
		{x: []int{3, 4, 5, 5}, w: []int{2, 4, 1, 1}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, out: [2]int{5, 5}},
		{x: []int{2, 4, 16, 16}, w: []int{3, 4, 1, 1}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, out: [2]int{16, 16}}, // reads x as columns
		{x: []int{2, 2, 9, 8}, w: []int{3, 2, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, out: [2]int{9, 8}},     // pads only after
	}
	rng := rand.New(rand.NewSource(1))
	for _, g := range cases {
		t.Run(fmt.Sprint(g.x, g.w, g.strides, g.dilations, g.begins), func(t *testing.T) {
			win := &window{kernel: g.w[2:], strides: g.strides[:], dilations: g.dilations[:], begin: g.begins[:], out: g.out[:]}
			cv := newConvolution(g.x, g.w, win, &scratch{})
			cv.relu = g.relu
			x, w, bias := uniform(rng, numElements(g.x)), uniform(rng, numElements(g.w)), uniform(rng, g.w[0])
			got := make([]float32, g.x[0]*g.w[0]*g.out[0]*g.out[1])
			cv.forward(got, x, w, bias)
			c, h, wd := g.x[1], g.x[2], g.x[3]
			for i := range got {
				ox, oy, m, img := i%g.out[1], i/g.out[1]%g.out[0], i/(g.out[0]*g.out[1])%g.w[0], i/(g.out[0]*g.out[1]*g.w[0])
				want := float64(bias[m])
				for ci := 0; ci < c; ci++ {
					for ki := 0; ki < g.w[2]; ki++ {
						for kj := 0; kj < g.w[3]; kj++ {
							iy, ix := oy*g.strides[0]+ki*g.dilations[0]-g.begins[0], ox*g.strides[1]+kj*g.dilations[1]-g.begins[1]
							if iy >= 0 && iy < h && ix >= 0 && ix < wd {
								want += float64(x[((img*c+ci)*h+iy)*wd+ix]) * float64(w[((m*c+ci)*g.w[2]+ki)*g.w[3]+kj])
							}
						}
					}
				}
				if g.relu {
					want = max(want, 0)
				}
				if math.Abs(float64(got[i])-want) > 1e-5 {
					t.Fatalf("image %d, channel %d, y %d, x %d: got %g, want %g", img, m, oy, ox, got[i], want)
				}
			}
		})
	}
}

// TestCol2imMatchesDefinition checks col2im, in both of its paths (row
// shifts and per-pixel offsets), against its definition: every column
// entry added onto the input cell its filter tap read, in the order of
// the columns' rows, images and pixels, so the sums match bit for bit.
func TestCol2imMatchesDefinition(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	type geometry struct {
		x, w                       []int
		strides, dilations, begins [2]int
		out                        [2]int
		shifts                     bool
	}
	cases := []geometry{
		{x: []int{2, 3, 12, 10}, w: []int{4, 3, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, begins: [2]int{1, 1}, out: [2]int{12, 10}, shifts: true},
		{x: []int{2, 3, 12, 10}, w: []int{4, 3, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{2, 2}, begins: [2]int{2, 2}, out: [2]int{12, 10}, shifts: true},
		{x: []int{2, 2, 9, 8}, w: []int{3, 2, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, out: [2]int{9, 8}, shifts: true},                       // pads only after
		{x: []int{1, 2, 9, 8}, w: []int{3, 2, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, begins: [2]int{2, 1}, out: [2]int{9, 8}, shifts: true}, // pads more before than after
		{x: []int{3, 2, 11, 9}, w: []int{5, 2, 3, 2}, strides: [2]int{2, 3}, dilations: [2]int{1, 1}, begins: [2]int{1, 0}, out: [2]int{6, 3}},
		{x: []int{4, 3, 4, 4}, w: []int{6, 3, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, begins: [2]int{1, 1}, out: [2]int{4, 4}},
	}
	rng := rand.New(rand.NewSource(1))
	for _, g := range cases {
		t.Run(fmt.Sprint(g.x, g.w, g.strides, g.dilations, g.begins), func(t *testing.T) {
			win := &window{kernel: g.w[2:], strides: g.strides[:], dilations: g.dilations[:], begin: g.begins[:], out: g.out[:]}
			cv := newConvolution(g.x, g.w, win, &scratch{})
			if cv.shifts() != g.shifts {
				t.Fatalf("shifts() = %v, want %v", cv.shifts(), g.shifts)
			}
			n, c, h, wd := g.x[0], g.x[1], g.x[2], g.x[3]
			kh, kw, pixels := g.w[2], g.w[3], g.out[0]*g.out[1]
			cols := uniform(rng, c*kh*kw*n*pixels)
			got := make([]float32, numElements(g.x))
			lane{cv: cv, threads: 2}.col2im(got, cols, n)
			want := make([]float32, len(got))
			for ci := 0; ci < c; ci++ {
				for ki := 0; ki < kh; ki++ {
					for kj := 0; kj < kw; kj++ {
						row := (ci*kh+ki)*kw + kj
						for img := 0; img < n; img++ {
							for p := 0; p < pixels; p++ {
								oy, ox := p/g.out[1], p%g.out[1]
								iy, ix := oy*g.strides[0]+ki*g.dilations[0]-g.begins[0], ox*g.strides[1]+kj*g.dilations[1]-g.begins[1]
								if iy >= 0 && iy < h && ix >= 0 && ix < wd {
									want[((img*c+ci)*h+iy)*wd+ix] += cols[(row*n+img)*pixels+p]
								}
							}
						}
					}
				}
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("dx[%d] = %g, want %g", i, got[i], want[i])
				}
			}
		})
	}
}

// TestConvolutionPanelsMatchSgemm runs the convolution with OpenBLAS's
// kernel driven directly (panels.go) and through cblas_sgemm, and compares
// the results bit for bit: the same kernel calls on the same data must give
// the same sums. The shapes cover depths over GEMM_Q (one and two blocks
// and a halved rest), products over GEMM_P rows, panel tails of 4, 2 and 1
// pixels, grouped images, strides, padding and 1x1 filters, on one lane
// that splits its products and on two lanes.
func TestConvolutionPanelsMatchSgemm(t *testing.T) {
	pk := requirePanels(t)
	type geometry struct {
		x, w                       []int
		strides, dilations, begins [2]int
		out                        [2]int
	}
	cases := []geometry{
		{x: []int{2, 3, 12, 10}, w: []int{4, 3, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, begins: [2]int{1, 1}, out: [2]int{12, 10}},
		{x: []int{3, 2, 11, 9}, w: []int{5, 2, 3, 2}, strides: [2]int{2, 3}, dilations: [2]int{1, 1}, begins: [2]int{1, 0}, out: [2]int{6, 3}},
		{x: []int{40, 3, 4, 4}, w: []int{6, 3, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, begins: [2]int{1, 1}, out: [2]int{4, 4}},
		{x: []int{2, 4, 16, 16}, w: []int{3, 4, 1, 1}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, out: [2]int{16, 16}},
		{x: []int{4, 40, 7, 7}, w: []int{13, 40, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, begins: [2]int{1, 1}, out: [2]int{7, 7}},
		{x: []int{2, 80, 10, 10}, w: []int{9, 80, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, begins: [2]int{1, 1}, out: [2]int{10, 10}},
		{x: []int{2, 3, 29, 27}, w: []int{17, 3, 3, 3}, strides: [2]int{1, 1}, dilations: [2]int{1, 1}, begins: [2]int{1, 1}, out: [2]int{29, 27}},
		{x: []int{3, 72, 9, 9}, w: []int{7, 72, 3, 3}, strides: [2]int{2, 2}, dilations: [2]int{1, 1}, begins: [2]int{1, 1}, out: [2]int{5, 5}},
	}
	rng := rand.New(rand.NewSource(3))
	for _, procs := range []int{1, 2} {
		for _, g := range cases {
			t.Run(fmt.Sprint(procs, g.x, g.w, g.strides), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				win := &window{kernel: g.w[2:], strides: g.strides[:], dilations: g.dilations[:], begin: g.begins[:], out: g.out[:]}
				cv := newConvolution(g.x, g.w, win, &scratch{})
				yLen := g.x[0] * g.w[0] * g.out[0] * g.out[1]
				x, w, bias, dy := uniform(rng, numElements(g.x)), uniform(rng, numElements(g.w)), uniform(rng, g.w[0]), uniform(rng, yLen)
				run := func(kernel *panelKernel) (y, dx []float32) {
					defer func(saved *panelKernel) { panels = saved }(panels)
					panels = kernel
					y, dx = make([]float32, yLen), make([]float32, len(x))
					cv.forward(y, x, w, bias)
					cv.inputGrad(dx, w, dy)
					return y, dx
				}
				wantY, wantDx := run(nil)
				gotY, gotDx := run(pk)
				for _, out := range []struct {
					name      string
					got, want []float32
				}{{"y", gotY, wantY}, {"dx", gotDx, wantDx}} {
					for i := range out.want {
						if math.Float32bits(out.got[i]) != math.Float32bits(out.want[i]) {
							t.Fatalf("%s[%d] is %g with the kernel driven directly, %g through cblas_sgemm", out.name, i, out.got[i], out.want[i])
						}
					}
				}
			})
		}
	}
}
