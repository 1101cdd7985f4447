package network_test

import (
	"fmt"
	"math"

	"github.com/elight-photonic/elight/finetune/network"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/onnxio/npy"
)

// Run the testdata VGG8 (BatchNorm folded) on its 32 reference images and
// compare the logits with PyTorch's, which the testdata script saved
// beside them. The Net only runs, so it keeps its packed filters.
func ExampleNet_Run() {
	m, err := onnxio.Read("../../testdata/vgg8/vgg8_bnfold_op13.onnx")
	if err != nil {
		panic(err)
	}
	images, err := npy.ReadFile("../../testdata/vgg8/input.npy")
	if err != nil {
		panic(err)
	}
	torch, err := npy.ReadFile("../../testdata/vgg8/logits.npy")
	if err != nil {
		panic(err)
	}
	dims := make([]int64, len(images.Shape))
	for i, d := range images.Shape {
		dims[i] = int64(d)
	}
	inputs := map[string]*onnxio.Tensor{
		m.Graph.Inputs[0].Name: {DataType: onnxio.Float, Dims: dims, Float: images.Float},
	}
	net, err := network.Build(m, inputs, network.Options{FixedWeights: true})
	if err != nil {
		panic(err)
	}
	outs, err := net.Run(inputs)
	if err != nil {
		panic(err)
	}
	logits := outs[0]
	var worst float64
	for i, v := range logits.Float {
		worst = max(worst, math.Abs(float64(v-torch.Float[i])))
	}
	fmt.Println("logits:", logits.Dims)
	fmt.Println("within 1e-4 of PyTorch's:", worst < 1e-4)
	// Output:
	// logits: [32 10]
	// within 1e-4 of PyTorch's: true
}
