package finetune

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/onnxio/npy"
	"github.com/elight-photonic/elight/quantize"
)

// cyclingBatches serves fixed samples round and round.
type cyclingBatches struct {
	x      []float32
	labels []int64
	size   int // floats per sample
	next   int
}

func (b *cyclingBatches) Next(x []float32) ([]int64, error) {
	n := len(x) / b.size
	var labels []int64
	for i := 0; i < n; i++ {
		copy(x[i*b.size:(i+1)*b.size], b.x[b.next*b.size:])
		if b.labels != nil {
			labels = append(labels, b.labels[b.next])
		}
		b.next = (b.next + 1) % (len(b.x) / b.size)
	}
	return labels, nil
}

func (b *cyclingBatches) Pos() int { return b.next }

func (b *cyclingBatches) Seek(pos int) error {
	b.next = pos
	return nil
}

func resnetBatches(t *testing.T, withLabels bool) *cyclingBatches {
	x, err := npy.ReadFile("../testdata/resnet/input.npy")
	if err != nil {
		t.Fatal(err)
	}
	b := &cyclingBatches{x: x.Float, size: 3 * 32 * 32}
	if withLabels {
		y, err := npy.ReadFile("../testdata/resnet/labels.npy")
		if err != nil {
			t.Fatal(err)
		}
		b.labels = y.Int
	}
	return b
}

func trainResnet(t *testing.T, cfg Config, withLabels bool) (*onnxio.Model, []Progress) {
	t.Helper()
	m, err := onnxio.Read("../testdata/resnet/resnet_bnfold_op13.onnx")
	if err != nil {
		t.Fatal(err)
	}
	var progress []Progress
	if err := Train(context.Background(), m, resnetBatches(t, withLabels), cfg, func(p Progress) { progress = append(progress, p) }); err != nil {
		t.Fatal(err)
	}
	return m, progress
}

func testConfig() Config {
	return Config{
		Quant: quantize.Config{Bits: 4, PCMLoss: 0.128}, Block: 64,
		Lambda: 1, Ref: MeanRow, Norm: L2,
		Optimizer: "adam", LR: 1e-3, Schedule: "constant",
		Steps: 4, BatchSize: 8, Temperature: 2,
	}
}

// TestTrainLowersWriteLoss: with only the write-aware loss to follow, the
// write loss falls step by step.
func TestTrainLowersWriteLoss(t *testing.T) {
	cfg := testConfig()
	cfg.Lambda = 1000
	_, progress := trainResnet(t, cfg, true)
	first, last := progress[0].WriteLoss, progress[len(progress)-1].WriteLoss
	t.Logf("write loss %.4f -> %.4f", first, last)
	if !(last < first) {
		t.Errorf("write loss went from %.4f to %.4f", first, last)
	}
}

// TestTrainIsDeterministic: the same data and configuration give the same
// weights, bit for bit, with labels and when distilling without them.
func TestTrainIsDeterministic(t *testing.T) {
	for _, labels := range []bool{true, false} {
		a, pa := trainResnet(t, testConfig(), labels)
		b, _ := trainResnet(t, testConfig(), labels)
		for name, ta := range a.Graph.Initializers {
			if tb := b.Graph.Initializers[name]; !slices.Equal(ta.Float, tb.Float) {
				t.Errorf("labels=%v: initializer %q differs between two runs", labels, name)
			}
		}
		if !labels && pa[0].Accuracy != -1 {
			t.Errorf("distillation reports accuracy %v without labels", pa[0].Accuracy)
		}
	}
}

// TestGradientsDoNotAccumulate runs two steps on one batch without moving
// the weights: the second step's gradients must equal the first's, not
// add to them as gorgonia's bound gradients do unless cleared.
func TestGradientsDoNotAccumulate(t *testing.T) {
	m, err := onnxio.Read("../testdata/resnet/resnet_bnfold_op13.onnx")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.LR, cfg.Optimizer, cfg.Momentum, cfg.BatchSize = 0, "sgd", 0, 8
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.vm.Close()
	data := resnetBatches(t, true)
	x := make([]float32, 8*3*32*32)
	labels, _ := data.Next(x)
	if _, err := tr.Step(x, labels); err != nil {
		t.Fatal(err)
	}
	first := make([][]float32, len(tr.grads))
	for i, g := range tr.grads {
		first[i] = slices.Clone(g)
	}
	if _, err := tr.Step(x, labels); err != nil {
		t.Fatal(err)
	}
	for i, g := range tr.grads {
		if !slices.Equal(g, first[i]) {
			t.Fatalf("gradient of %q changed between two identical steps", tr.names[i])
		}
	}
}

// TestTrainerWeighsWriteLossByLambda: the gradient of the training loss is
// the task gradient plus lambda times the write loss's gradient, so on one
// batch from the same weights, g(3) - g(0) equals 3 (g(1) - g(0)).
func TestTrainerWeighsWriteLossByLambda(t *testing.T) {
	data := resnetBatches(t, true)
	x := make([]float32, 8*3*32*32)
	labels, _ := data.Next(x)
	grads := map[float64][][]float32{}
	for _, lambda := range []float64{0, 1, 3} {
		m, err := onnxio.Read("../testdata/resnet/resnet_bnfold_op13.onnx")
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig()
		cfg.Lambda, cfg.Norm, cfg.Optimizer, cfg.LR, cfg.Momentum = lambda, Cell, "sgd", 0, 0
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Step(x, labels); err != nil {
			t.Fatal(err)
		}
		for _, g := range tr.grads {
			grads[lambda] = append(grads[lambda], slices.Clone(g))
		}
		tr.Close()
	}
	checked := 0
	for i := range grads[0] {
		for j, g0 := range grads[0][i] {
			one, three := float64(grads[1][i][j]-g0), float64(grads[3][i][j]-g0)
			if math.Abs(one) < 1e-4 {
				continue // too small to compare in float32
			}
			checked++
			if math.Abs(three-3*one) > 1e-3*math.Abs(3*one)+1e-6 {
				t.Fatalf("parameter %d element %d: write-loss gradient %g at lambda 1 but %g at lambda 3 (want 3x)", i, j, one, three)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no write-loss gradient large enough to compare")
	}
	t.Logf("compared %d gradient elements", checked)
}
