package network

import (
	"testing"

	"github.com/elight-photonic/elight/onnxio"
)

// TestReshapeToColumnKeepsItsOne: MatMul with a 1-D constant gives [N], a
// Reshape to [-1, 1] makes it a column, and a Gemm multiplies the column
// by a [1, 2] row. gorgonia calls (N) and (N, 1) the same shape, which
// once skipped the Reshape and failed the Gemm. Values computed by hand.
func TestReshapeToColumnKeepsItsOne(t *testing.T) {
	f := func(name string, dims []int64, v ...float32) *onnxio.Tensor {
		return &onnxio.Tensor{Name: name, DataType: onnxio.Float, Dims: dims, Float: v}
	}
	m := &onnxio.Model{Opset: 13, Graph: &onnxio.Graph{
		Inputs:  []onnxio.ValueInfo{{Name: "x", DataType: onnxio.Float}},
		Outputs: []onnxio.ValueInfo{{Name: "y", DataType: onnxio.Float}},
		Nodes: []*onnxio.Node{
			{Name: "dot", OpType: "MatMul", Inputs: []string{"x", "v"}, Outputs: []string{"d"}},
			{Name: "col", OpType: "Reshape", Inputs: []string{"d", "shape"}, Outputs: []string{"c"}},
			{Name: "out", OpType: "Gemm", Inputs: []string{"c", "g"}, Outputs: []string{"y"}},
		},
		Initializers: map[string]*onnxio.Tensor{
			"v":     f("v", []int64{3}, 1, 2, 3),
			"shape": {Name: "shape", DataType: onnxio.Int64, Dims: []int64{2}, Int: []int64{-1, 1}},
			"g":     f("g", []int64{1, 2}, 10, -1),
		},
	}}
	// rows [1 0 0] and [0 1 1] dot v: 1 and 5; times [10 -1]
	x := f("x", []int64{2, 3}, 1, 0, 0, 0, 1, 1)
	got := runOne(t, m, x)
	want := []float32{10, -1, 50, -5}
	if len(got.Dims) != 2 || got.Dims[0] != 2 || got.Dims[1] != 2 {
		t.Fatalf("output dims %v, want [2 2]", got.Dims)
	}
	for i := range want {
		if got.Float[i] != want[i] {
			t.Fatalf("output %v, want %v", got.Float, want)
		}
	}
}
