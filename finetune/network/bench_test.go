package network

import (
	"math/rand"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
)

// BenchmarkForwardVGG8 times the forward pass of the testdata VGG8 (32x32
// inputs, batch 32) and reports images per second. The same figure for
// onnxruntime-node comes from
//
//	node testdata/ort/bench.js testdata/vgg8/vgg8_bnfold_op13.onnx 32
func BenchmarkForwardVGG8(b *testing.B) {
	const batch = 32
	m, err := onnxio.Read("../../testdata/vgg8/vgg8_bnfold_op13.onnx")
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	x := &onnxio.Tensor{DataType: onnxio.Float, Dims: []int64{batch, 3, 32, 32}, Float: make([]float32, batch*3*32*32)}
	for i := range x.Float {
		x.Float[i] = rng.Float32() - 0.5
	}
	inputs := map[string]*onnxio.Tensor{m.Graph.Inputs[0].Name: x}
	net, err := Build(m, inputs, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := net.Run(inputs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}
