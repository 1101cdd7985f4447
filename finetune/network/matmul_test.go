package network

import (
	"math"
	"math/rand"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
)

// TestMatMulBroadcastForward checks MatMul with broadcast batch dimensions
// against products computed here by index arithmetic, for operand shapes
// numpy broadcasts ([2, 1, 3, 4] x [3, 4, 2] -> [2, 3, 3, 2], and a matrix
// against a batch).
func TestMatMulBroadcastForward(t *testing.T) {
	tests := []struct {
		a, b, want []int
	}{
		{a: []int{2, 1, 3, 4}, b: []int{3, 4, 2}, want: []int{2, 3, 3, 2}},
		{a: []int{3, 4}, b: []int{2, 4, 5}, want: []int{2, 3, 5}},
		{a: []int{1, 2, 2, 3}, b: []int{2, 1, 3, 2}, want: []int{2, 2, 2, 2}},
	}
	rng := rand.New(rand.NewSource(5))
	for _, tt := range tests {
		a := &onnxio.Tensor{Name: "a", DataType: onnxio.Float, Dims: intsToDims(tt.a), Float: uniform(rng, numElements(tt.a))}
		b := &onnxio.Tensor{Name: "b", DataType: onnxio.Float, Dims: intsToDims(tt.b), Float: uniform(rng, numElements(tt.b))}
		m := &onnxio.Model{Opset: 13, Graph: &onnxio.Graph{
			Initializers: map[string]*onnxio.Tensor{"b": b},
			Inputs:       []onnxio.ValueInfo{{Name: "a"}},
			Nodes:        []*onnxio.Node{{Name: "mm", OpType: "MatMul", Inputs: []string{"a", "b"}, Outputs: []string{"y"}}},
			Outputs:      []onnxio.ValueInfo{{Name: "y"}},
		}}
		inputs := map[string]*onnxio.Tensor{"a": a}
		net, err := Build(m, inputs, Options{})
		if err != nil {
			t.Fatalf("%v x %v: %v", tt.a, tt.b, err)
		}
		got, err := net.Run(inputs)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveBroadcastMatMul(a, b, tt.want)
		if len(got[0].Float) != len(want) {
			t.Fatalf("%v x %v: %d outputs, want %d", tt.a, tt.b, len(got[0].Float), len(want))
		}
		for i := range want {
			if math.Abs(float64(got[0].Float[i]-want[i])) > 1e-5 {
				t.Fatalf("%v x %v: element %d = %g, want %g", tt.a, tt.b, i, got[0].Float[i], want[i])
			}
		}
	}
}

// naiveBroadcastMatMul multiplies a and b (rank >= 2) into shape out,
// reading each operand's batch index with numpy's broadcast rule: an axis
// of size 1, or a missing leading axis, repeats.
func naiveBroadcastMatMul(a, b *onnxio.Tensor, out []int) []float32 {
	rank := len(out)
	m, n := out[rank-2], out[rank-1]
	k := int(a.Dims[len(a.Dims)-1])
	batchOf := func(t *onnxio.Tensor, idx []int) int {
		// the operand's flat matrix index for output batch index idx
		off, stride := 0, 1
		tb := t.Dims[:len(t.Dims)-2]
		for d := len(tb) - 1; d >= 0; d-- {
			size := int(tb[d])
			i := idx[len(idx)-len(tb)+d]
			if size == 1 {
				i = 0
			}
			off += i * stride
			stride *= size
		}
		return off
	}
	batch := out[:rank-2]
	y := make([]float32, numElements(out))
	idx := make([]int, len(batch))
	for flat := range numElements(batch) {
		r := flat
		for d := len(batch) - 1; d >= 0; d-- {
			idx[d] = r % batch[d]
			r /= batch[d]
		}
		ma, mb := batchOf(a, idx)*m*k, batchOf(b, idx)*k*n
		for i := range m {
			for j := range n {
				var s float32
				for l := range k {
					s += a.Float[ma+i*k+l] * b.Float[mb+l*n+j]
				}
				y[(flat*m+i)*n+j] = s
			}
		}
	}
	return y
}
