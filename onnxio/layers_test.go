package onnxio

import (
	"slices"
	"testing"
)

func TestPhotonicLayersMatrix(t *testing.T) {
	// A [2, 3] Gemm weight with transB=1 is already [out, in]; a MatMul
	// weight [in=3, out=2] must be transposed.
	w := &Tensor{Name: "w", DataType: Float, Dims: []int64{2, 3}, Float: []float32{1, 2, 3, 4, 5, 6}}
	v := &Tensor{Name: "v", DataType: Float, Dims: []int64{3, 2}, Float: []float32{1, 4, 2, 5, 3, 6}}
	c := &Tensor{Name: "c", DataType: Float, Dims: []int64{4, 2, 3, 3}, Float: make([]float32, 72)}
	g := &Graph{
		Nodes: []*Node{
			{Name: "gemm", OpType: "Gemm", Inputs: []string{"x", "w"}, Attrs: map[string]Attribute{"transB": {Type: AttrInt, Int: 1}}},
			{Name: "matmul", OpType: "MatMul", Inputs: []string{"x", "v"}},
			{Name: "conv", OpType: "Conv", Inputs: []string{"x", "c"}},
			{Name: "grouped", OpType: "Conv", Inputs: []string{"x", "c"}, Attrs: map[string]Attribute{"group": {Type: AttrInt, Int: 2}}},
			{Name: "group3", OpType: "Conv", Inputs: []string{"x", "c"}, Attrs: map[string]Attribute{"group": {Type: AttrInt, Int: 3}}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"x"}},
		},
		Initializers: map[string]*Tensor{"w": w, "v": v, "c": c},
	}
	layers := g.PhotonicLayers()
	// A grouped Conv keeps the dense [O, I/G*kh*kw] matrix; group 3 does
	// not divide the 4 filters, so that node is not a layer.
	want := []struct {
		name       string
		rows, cols int
		groups     int
	}{{"gemm", 2, 3, 1}, {"matmul", 2, 3, 1}, {"conv", 4, 18, 1}, {"grouped", 4, 18, 2}}
	if len(layers) != len(want) {
		t.Fatalf("%d layers, want %d", len(layers), len(want))
	}
	for i, l := range layers {
		if l.Node.Name != want[i].name || l.Rows != want[i].rows || l.Cols != want[i].cols || l.Groups != want[i].groups {
			t.Errorf("layer %d: %s [%d, %d] group %d, want %s [%d, %d] group %d", i, l.Node.Name, l.Rows, l.Cols, l.Groups, want[i].name, want[i].rows, want[i].cols, want[i].groups)
		}
	}
	matrix := []float32{1, 2, 3, 4, 5, 6}
	if got := layers[0].Matrix(w); !slices.Equal(got, matrix) {
		t.Errorf("Gemm matrix %v, want %v", got, matrix)
	}
	if got := layers[1].Matrix(v); !slices.Equal(got, matrix) {
		t.Errorf("MatMul matrix %v, want %v", got, matrix)
	}
	if got := layers[1].FromMatrix(matrix); !slices.Equal(got, v.Float) {
		t.Errorf("MatMul FromMatrix %v, want %v", got, v.Float)
	}
}
