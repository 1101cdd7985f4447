package onnxio_test

import (
	"fmt"

	"github.com/elight-photonic/elight/onnxio"
)

// Read a PyTorch export, fold its BatchNorms into the convolutions, and
// list the layers that map onto photonic cores as the matrices the cores
// compute.
func ExampleRead() {
	m, err := onnxio.Read("../testdata/resnet/resnet_bn_op13.onnx")
	if err != nil {
		panic(err)
	}
	folded, err := onnxio.FoldBatchNorm(m)
	if err != nil {
		panic(err)
	}
	fmt.Println("opset", m.Opset, "BatchNorms folded:", len(folded))
	for _, l := range m.Graph.PhotonicLayers() {
		fmt.Printf("%s %s [%d, %d]\n", l.Node.OpType, l.Weight, l.Rows, l.Cols)
	}
	// Output:
	// opset 13 BatchNorms folded: 9
	// Conv conv1.weight [32, 27]
	// Conv layer1.conv1.weight [32, 288]
	// Conv layer1.conv2.weight [32, 288]
	// Conv layer2.conv1.weight [64, 288]
	// Conv layer2.conv2.weight [64, 576]
	// Conv layer2.shortcut.0.weight [64, 32]
	// Conv layer3.conv1.weight [128, 576]
	// Conv layer3.conv2.weight [128, 1152]
	// Conv layer3.shortcut.0.weight [128, 64]
	// Gemm linear.weight [10, 128]
}
