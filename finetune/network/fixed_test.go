package network

import (
	"math"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
)

// TestFixedWeightsKeepsEveryBit runs the bundled models with and without
// Options.FixedWeights, on two batches each, and wants the same logits
// bit for bit: the filters packed once are the filters packed every pass.
// Then it changes every weight in place: the Net that packs every pass
// computes with the new weights, the fixed one (where the convolutions
// run on the kernel directly) with the filters it kept, as documented.
func TestFixedWeightsKeepsEveryBit(t *testing.T) {
	for _, dir := range []string{"vgg8", "resnet"} {
		t.Run(dir, func(t *testing.T) {
			m, err := onnxio.Read("../../testdata/" + dir + "/" + dir + "_bnfold_op13.onnx")
			if err != nil {
				t.Fatal(err)
			}
			name := m.Graph.Inputs[0].Name
			x := readNpy(t, "../../testdata/"+dir+"/input.npy")
			reversed := *x // the same images in the opposite order
			reversed.Float = make([]float32, len(x.Float))
			image := len(x.Float) / int(x.Dims[0])
			for i := range int(x.Dims[0]) {
				copy(reversed.Float[i*image:], x.Float[len(x.Float)-(i+1)*image:][:image])
			}
			batches := []map[string]*onnxio.Tensor{{name: x}, {name: &reversed}}
			each, err := Build(m, batches[0], Options{})
			if err != nil {
				t.Fatal(err)
			}
			fixed, err := Build(m, batches[0], Options{FixedWeights: true})
			if err != nil {
				t.Fatal(err)
			}
			for i, inputs := range batches {
				want, got := runLogits(t, each, inputs), runLogits(t, fixed, inputs)
				if j := firstDifferentBits(got, want); j >= 0 {
					t.Fatalf("batch %d, logit %d: %v with fixed weights, %v packed every pass", i, j, got[j], want[j])
				}
			}
			before := runLogits(t, fixed, batches[0])
			for _, net := range []*Net{each, fixed} {
				for _, p := range net.Params {
					w, err := Float32s(p.Value())
					if err != nil {
						t.Fatal(err)
					}
					for j := range w {
						w[j] *= 2
					}
				}
			}
			if j := firstDifferentBits(runLogits(t, each, batches[0]), before); j < 0 {
				t.Fatal("doubling every weight left the logits of the Net that packs every pass as they were")
			}
			if panels == nil {
				t.Skip("no OpenBLAS kernel to drive directly: every convolution reads its weights each pass")
			}
			after := runLogits(t, fixed, batches[0])
			// the Gemm layers and biases read the doubled weights; the
			// convolutions' filters are the kept ones
			if j := firstDifferentBits(after, runLogits(t, each, batches[0])); j < 0 {
				t.Fatal("the fixed Net computed with the changed filters: it packs them every pass")
			}
		})
	}
}

func runLogits(t *testing.T, net *Net, inputs map[string]*onnxio.Tensor) []float32 {
	t.Helper()
	outs, err := net.Run(inputs)
	if err != nil {
		t.Fatal(err)
	}
	return outs[0].Float
}

// firstDifferentBits returns the first index where a and b differ bit for
// bit, or -1.
func firstDifferentBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}
