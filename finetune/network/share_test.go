package network

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	G "gorgonia.org/gorgonia"
)

// TestShareBuffersKeepsEveryBit trains the bundled ResNet (residual sums,
// gradients summed at forks) with and without shared buffers and wants the
// same parameter gradients bit for bit, on the first pass and on the
// second, which computes into buffers other kernels gave back.
func TestShareBuffersKeepsEveryBit(t *testing.T) {
	m, err := onnxio.Read("../../testdata/resnet/resnet_bnfold_op13.onnx")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]*onnxio.Tensor{m.Graph.Inputs[0].Name: readNpy(t, "../../testdata/resnet/input.npy")}
	want, got := gradientPasses(t, m, inputs, false), gradientPasses(t, m, inputs, true)
	for i := range want {
		for j := range want[i] {
			if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
				t.Fatalf("gradient %d of the passes, element %d: %v with shared buffers, %v without", i, j, got[i][j], want[i][j])
			}
		}
	}
}

// gradientPasses returns the parameter gradients of two passes of a
// weighted sum of m's logits.
func gradientPasses(t *testing.T, m *onnxio.Model, inputs map[string]*onnxio.Tensor, share bool) [][]float32 {
	t.Helper()
	net, err := Build(m, inputs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	weights := make([]float32, net.Outputs[0].Shape().TotalSize())
	for i := range weights {
		weights[i] = rng.Float32() - 0.5
	}
	weightedSum(t, net, weights)
	if share {
		ShareBuffers(net.Graph)
		ShareBuffers(net.Graph) // a second plan replaces the first
		if sharedKernels(net.Graph) == 0 {
			t.Fatal("no kernel shares its buffer")
		}
	}
	if err := net.bind(inputs); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(net.Graph, G.BindDualValues(net.Params...))
	defer vm.Close()
	var grads [][]float32
	for pass := range 2 {
		for _, p := range net.Params {
			if pass == 0 {
				break // the machine makes them, zero, in the first pass
			}
			g, err := p.Grad()
			if err != nil {
				t.Fatal(err)
			}
			clear(g.Data().([]float32)) // gorgonia adds to them
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		for _, p := range net.Params {
			g, _ := p.Grad()
			grads = append(grads, slices.Clone(g.Data().([]float32)))
		}
	}
	return grads
}

// TestRunSharesBuffers runs a Net twice: Run shares the buffers of its
// inner values, and the second pass, computing into buffers the first
// gave back, returns the same logits.
func TestRunSharesBuffers(t *testing.T) {
	m, err := onnxio.Read("../../testdata/resnet/resnet_bnfold_op13.onnx")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]*onnxio.Tensor{m.Graph.Inputs[0].Name: readNpy(t, "../../testdata/resnet/input.npy")}
	net, err := Build(m, inputs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logits [2][]float32
	for pass := range logits {
		outs, err := net.Run(inputs)
		if err != nil {
			t.Fatal(err)
		}
		logits[pass] = outs[0].Float
	}
	if sharedKernels(net.Graph) == 0 {
		t.Fatal("Run shares no kernel's buffer")
	}
	for i := range logits[0] {
		if math.Float32bits(logits[1][i]) != math.Float32bits(logits[0][i]) {
			t.Fatalf("logit %d: %v on the second pass, %v on the first", i, logits[1][i], logits[0][i])
		}
	}
}

// sharedKernels counts the kernels of g whose buffer goes back to a pool.
func sharedKernels(g *G.ExprGraph) int {
	n := 0
	for _, node := range g.AllNodes() {
		if k, ok := node.Op().(*kernel); ok && k.pool != nil {
			n++
		}
	}
	return n
}
