package network

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The VGG8 benchmarks time the testdata VGG8 (BatchNorm folded, 32x32
// inputs, batch 32) and report images per second. bench/compare.sh runs them
// next to onnxruntime-node (forward) and PyTorch (forward and training step)
// on the same machine and prints the ratios.
const (
	vgg8Model   = "../../testdata/vgg8/vgg8_bnfold_op13.onnx"
	vgg8Batch   = 32
	vgg8Classes = 10
)

// vgg8Inputs reads the VGG8 export and makes a fixed pseudo-random batch.
func vgg8Inputs(b *testing.B) (*onnxio.Model, map[string]*onnxio.Tensor) {
	m, err := onnxio.Read(vgg8Model)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	x := &onnxio.Tensor{DataType: onnxio.Float, Dims: []int64{vgg8Batch, 3, 32, 32}, Float: make([]float32, vgg8Batch*3*32*32)}
	for i := range x.Float {
		x.Float[i] = rng.Float32() - 0.5
	}
	return m, map[string]*onnxio.Tensor{m.Graph.Inputs[0].Name: x}
}

// BenchmarkForwardVGG8 times Net.Run, the forward pass `elight run` and
// the accuracy measurements do (weights fixed: the filters are packed by
// the warm-up pass, as onnxruntime packs them when its session starts).
// The same figure for onnxruntime-node comes from
//
//	node testdata/ort/bench.js testdata/vgg8/vgg8_bnfold_op13.onnx 32
func BenchmarkForwardVGG8(b *testing.B) {
	m, inputs := vgg8Inputs(b)
	net, err := Build(m, inputs, Options{FixedWeights: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := net.Run(inputs); err != nil { // warm-up: builds the tape machine
		b.Fatal(err)
	}
	b.Logf("BLAS: %s; GOMAXPROCS %d", BLASInfo(), runtime.GOMAXPROCS(0))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := net.Run(inputs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(vgg8Batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkTrainStepVGG8 times one SGD step: forward, softmax cross-entropy
// against fixed labels, backward to every parameter, and the update. The
// PyTorch figure comes from bench/torch_step.py.
func BenchmarkTrainStepVGG8(b *testing.B) {
	m, inputs := vgg8Inputs(b)
	net, err := Build(m, inputs, Options{})
	if err != nil {
		b.Fatal(err)
	}
	loss, err := crossEntropy(net.Outputs[0], vgg8Labels())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := G.Grad(loss, net.Params...); err != nil {
		b.Fatal(err)
	}
	if err := net.bind(inputs); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(net.Graph, G.BindDualValues(net.Params...))
	defer vm.Close()
	solver := G.NewVanillaSolver(G.WithLearnRate(1e-3))
	step := func() {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		if err := solver.Step(G.NodesToValueGrads(net.Params)); err != nil {
			b.Fatal(err)
		}
	}
	step() // warm-up
	first := loss.Value().Data().(float32)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	b.StopTimer()
	last := loss.Value().Data().(float32)
	if math.IsNaN(float64(last)) || last >= first {
		b.Fatalf("loss went from %g to %g in %d SGD steps; it should fall", first, last, b.N)
	}
	b.ReportMetric(float64(vgg8Batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

// vgg8Labels is a fixed one-hot label batch: image i has class i mod 10.
func vgg8Labels() *tensor.Dense {
	onehot := make([]float32, vgg8Batch*vgg8Classes)
	for i := 0; i < vgg8Batch; i++ {
		onehot[i*vgg8Classes+i%vgg8Classes] = 1
	}
	return tensor.New(tensor.WithShape(vgg8Batch, vgg8Classes), tensor.WithBacking(onehot))
}

// crossEntropy is the mean softmax cross-entropy of logits [N, K] against
// one-hot labels [N, K], in gorgonia operators.
func crossEntropy(logits *G.Node, labels *tensor.Dense) (*G.Node, error) {
	g := logits.Graph()
	target := G.NewTensor(g, tensor.Float32, 2, G.WithShape(labels.Shape()...), G.WithValue(labels), G.WithName("labels"))
	logp, err := G.LogSoftMax(logits)
	if err != nil {
		return nil, err
	}
	picked, err := G.HadamardProd(logp, target)
	if err != nil {
		return nil, err
	}
	sum, err := G.Sum(picked)
	if err != nil {
		return nil, err
	}
	return G.Div(sum, G.NewConstant(float32(-labels.Shape()[0])))
}

// BenchmarkIm2col times the columns of a batch for 3x3 convolutions (pad 1,
// stride 1) of VGG8's and ResNet-18's plane sizes, in ns a column cell.
func BenchmarkIm2col(b *testing.B) {
	for _, g := range []struct{ channels, size, batch int }{{3, 32, 32}, {64, 16, 32}, {128, 8, 32}, {256, 4, 32}, {64, 56, 16}, {256, 14, 16}, {512, 7, 16}} {
		b.Run(fmt.Sprintf("%dx%dx%d", g.channels, g.size, g.size), func(b *testing.B) {
			win := &window{kernel: []int{3, 3}, strides: []int{1, 1}, dilations: []int{1, 1}, begin: []int{1, 1}, out: []int{g.size, g.size}}
			cv := newConvolution([]int{g.batch, g.channels, g.size, g.size}, []int{8, g.channels, 3, 3}, win, &scratch{})
			x := uniform(rand.New(rand.NewSource(1)), g.batch*g.channels*g.size*g.size)
			groups, _, _ := cv.prepareLanes()
			l := lane{cv: cv, threads: 1}
			for b.Loop() {
				for group := range groups {
					first := group * cv.perGroup
					l.columns(x, first, min(cv.perGroup, cv.batch-first))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*cv.patch()*cv.batch*cv.pixels()), "ns/cell")
		})
	}
}
