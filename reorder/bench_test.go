package reorder

import (
	"math/rand/v2"
	"testing"

	"github.com/elight-photonic/elight/quantize"
)

// vgg16 lists VGG16's photonic layers as [rows, cols] matrices: 3x3 convs
// become [out, in*9], then the three fully connected layers. 138M weights.
var vgg16 = [][2]int{
	{64, 3 * 9}, {64, 64 * 9},
	{128, 64 * 9}, {128, 128 * 9},
	{256, 128 * 9}, {256, 256 * 9}, {256, 256 * 9},
	{512, 256 * 9}, {512, 512 * 9}, {512, 512 * 9},
	{512, 512 * 9}, {512, 512 * 9}, {512, 512 * 9},
	{4096, 25088}, {4096, 4096}, {1000, 4096},
}

// quantizedVGG16 returns VGG16-shaped layers of Gaussian weights (fixed
// seed) quantized at the given bits, one scale per tensor.
func quantizedVGG16(tb testing.TB, bits int) []*quantize.Levels {
	rng := rand.New(rand.NewPCG(16, 138))
	var out []*quantize.Levels
	for _, sh := range vgg16 {
		w := make([]float32, sh[0]*sh[1])
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		lv, err := quantize.Quantize(w, sh[0], sh[1], quantize.Config{Bits: bits, PCMLoss: quantize.DefaultPCMLoss})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, lv)
	}
	return out
}

// BenchmarkVGG16AllStrategies times what `elight` does per model after
// quantization: partition every layer at block 64, plan all five
// strategies and account for each.
func BenchmarkVGG16AllStrategies(b *testing.B) {
	levels := quantizedVGG16(b, 4)
	p := DefaultProfile()
	for b.Loop() {
		total := make([]Stats, len(Strategies()))
		for _, lv := range levels {
			l, err := Partition(lv, 64)
			if err != nil {
				b.Fatal(err)
			}
			for s, o := range PlanAll(l) {
				st, err := Account(l, o, p)
				if err != nil {
					b.Fatal(err)
				}
				total[s].Add(st)
			}
		}
		for s, st := range total {
			b.ReportMetric(float64(st.Writes), string(Strategies()[s])+"-writes")
		}
	}
}

// BenchmarkReplay times the independent check on a quarter of VGG16's
// first classifier layer ([1024, 25088], 26M weights) in the sort order.
func BenchmarkReplay(b *testing.B) {
	lv := randomLevels(newRand(5), 1024, 25088, 4)
	l, err := Partition(lv, 64)
	if err != nil {
		b.Fatal(err)
	}
	o, err := Plan(l, Sort)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Replay(lv, o, DefaultProfile()); err != nil {
			b.Fatal(err)
		}
	}
}
