package finetune

import (
	"flag"
	"math/rand"
	"testing"
	"time"

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
			cpu := startCPU()
			for b.Loop() {
				wl.Eval(w)
			}
			cpu.report(b)
		})
	}
}

// cpuClock measures the CPU time of a benchmark's loop.
type cpuClock struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuClock {
	t, ok := processCPU()
	return cpuClock{t, ok}
}

// report adds the loop's CPU time per operation, all threads together, as
// cpu-ns/op.
func (c cpuClock) report(b *testing.B) {
	if t, ok := processCPU(); ok && c.ok {
		b.ReportMetric(float64(t-c.start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkTrainerStepModel's model and batch: compare.sh exports
// torchvision's ResNet-18 (224 x 224) and passes -bench-model.
var (
	benchModel = flag.String("bench-model", "", "ONNX model of BenchmarkTrainerStepModel (skipped without it)")
	benchBatch = flag.Int("bench-batch", 16, "batch of BenchmarkTrainerStepModel")
)

// BenchmarkTrainerStepVGG8 times one full fine-tuning step on the testdata
// VGG8 (BatchNorm folded, 32x32, batch 32): the quantizer in the forward
// pass, cross-entropy, the write-aware loss of every layer, backward and
// Adam. network's BenchmarkTrainStepVGG8 times the bare network step that
// PyTorch is compared with; the difference is what quantization-aware,
// write-aware training adds.
func BenchmarkTrainerStepVGG8(b *testing.B) {
	for _, norm := range []Norm{L2, Cell} {
		b.Run(string(norm), func(b *testing.B) { benchmarkTrainerStep(b, "../testdata/vgg8/vgg8_bnfold_op13.onnx", norm, 32) })
	}
}

// BenchmarkTrainerStepResNet18 times the step the search takes on the
// testdata ResNet-18 (11.2M weights, 32x32, batch 32, the cell loss): the
// model whose 30-minute search is bound by its step time.
func BenchmarkTrainerStepResNet18(b *testing.B) {
	benchmarkTrainerStep(b, "../testdata/resnet18/resnet18_bnfold_op13.onnx", Cell, 32)
}

// BenchmarkTrainerStepModel times the step with the l2 loss, the one
// ELight's reference takes, on the model -bench-model names, -bench-batch
// images at a time.
func BenchmarkTrainerStepModel(b *testing.B) {
	if *benchModel == "" {
		b.Skip("no -bench-model")
	}
	benchmarkTrainerStep(b, *benchModel, L2, *benchBatch)
}

// benchmarkTrainerStep times Trainer.Step on the model at path, on a fixed
// pseudo-random batch with labels i mod 10.
func benchmarkTrainerStep(b *testing.B, path string, norm Norm, batch int) {
	m, err := onnxio.Read(path)
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{
		Quant: quantize.Config{Bits: 4, PCMLoss: 0.128}, Block: 64, Lambda: 1, Ref: MeanRow, Norm: norm,
		Optimizer: "adam", LR: 1e-4, Schedule: "constant", Steps: 1, BatchSize: batch,
	}
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	rng := rand.New(rand.NewSource(1))
	x := make([]float32, tr.InputSize())
	for i := range x {
		x[i] = rng.Float32() - 0.5
	}
	labels := make([]int64, cfg.BatchSize)
	for i := range labels {
		labels[i] = int64(i % 10)
	}
	if _, err := tr.Step(x, labels); err != nil { // warm-up
		b.Fatal(err)
	}
	cpu := startCPU()
	for b.Loop() {
		if _, err := tr.Step(x, labels); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
	b.ReportMetric(float64(cfg.BatchSize*b.N)/b.Elapsed().Seconds(), "images/s")
}
