package finetune

import (
	"math/rand"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
)

// BenchmarkWriteLossVGG8Conv times the write-aware loss and its gradient
// on the size of VGG8's largest layer (a 512 x 512 x 3 x 3 Conv, 72 blocks
// per row of 64 x 64 cores), which fine-tuning evaluates on every step.
func BenchmarkWriteLossVGG8Conv(b *testing.B) {
	const rows, cols = 512, 512 * 9
	rng := rand.New(rand.NewSource(1))
	w := make([]float32, rows*cols)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	for _, norm := range []Norm{L2, Cell} {
		b.Run(string(norm), func(b *testing.B) {
			wl, err := NewWriteLoss(onnxio.Layer{Rows: rows, Cols: cols}, quantize.Config{Bits: 4, PCMLoss: 0.128}, 64, MeanRow, norm)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				wl.Eval(w)
			}
		})
	}
}
