package finetune

import (
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
)

// oddShapesModel is x [B, 4] -> MatMul W [4, 3] -> MatMul v [3] (a 1-D
// constant, not a photonic layer) -> Reshape [-1, 1] -> Gemm G [1, 2]:
// logits [B, 2]. onnxruntime runs it.
func oddShapesModel() *onnxio.Model {
	f := func(name string, dims []int64, v ...float32) *onnxio.Tensor {
		return &onnxio.Tensor{Name: name, DataType: onnxio.Float, Dims: dims, Float: v}
	}
	return &onnxio.Model{Opset: 13, Graph: &onnxio.Graph{
		Inputs:  []onnxio.ValueInfo{{Name: "x", DataType: onnxio.Float, Shape: []onnxio.Dim{{Value: -1, Param: "batch"}, {Value: 4}}}},
		Outputs: []onnxio.ValueInfo{{Name: "logits", DataType: onnxio.Float}},
		Nodes: []*onnxio.Node{
			{Name: "fc", OpType: "MatMul", Inputs: []string{"x", "W"}, Outputs: []string{"h"}},
			{Name: "dot", OpType: "MatMul", Inputs: []string{"h", "v"}, Outputs: []string{"d"}},
			{Name: "col", OpType: "Reshape", Inputs: []string{"d", "shape"}, Outputs: []string{"c"}},
			{Name: "out", OpType: "Gemm", Inputs: []string{"c", "G"}, Outputs: []string{"logits"}},
		},
		Initializers: map[string]*onnxio.Tensor{
			"W":     f("W", []int64{4, 3}, 0.5, -0.2, 0.1, 0.3, 0.8, -0.4, -0.6, 0.2, 0.7, 0.1, -0.3, 0.9),
			"v":     f("v", []int64{3}, 0.4, -0.7, 0.2),
			"shape": {Name: "shape", DataType: onnxio.Int64, Dims: []int64{2}, Int: []int64{-1, 1}},
			"G":     f("G", []int64{1, 2}, 1.5, -0.5),
		},
	}}
}

// TestTrainerQuantizesOnlyPhotonicLayers: a MatMul with a 1-D constant is
// no photonic layer, so the trainer leaves its constant unquantized (it
// used to hand it to the quantizer, which crashed inside gorgonia), and a
// training step runs.
func TestTrainerQuantizesOnlyPhotonicLayers(t *testing.T) {
	m := oddShapesModel()
	if n := len(m.Graph.PhotonicLayers()); n != 2 {
		t.Fatalf("%d photonic layers, want the MatMul W and the Gemm G", n)
	}
	cfg := Config{
		Quant: quantize.Config{Bits: 4, PCMLoss: 0.128}, Block: 2, Lambda: 1, Norm: Cell,
		Optimizer: "adam", LR: 1e-3, Schedule: "constant", Steps: 1, BatchSize: 2,
	}
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Step([]float32{1, 2, 3, 4, -1, 0.5, 0, 2}, []int64{0, 1}); err != nil {
		t.Fatal(err)
	}
}
