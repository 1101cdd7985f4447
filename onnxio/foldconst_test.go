package onnxio

import (
	"path/filepath"
	"testing"

	"github.com/elight-photonic/elight/onnxio/onnxtest"
)

// TestFoldConstantsExporterRouting reads a torch export made without
// constant folding (testdata/fold/make_fold.py): its bias-free classifier
// is Transpose(weight) -> MatMul and its two convolutions share one bias
// through an Identity node. After FoldBatchNorm, which folds those first,
// no Transpose, Identity or BatchNormalization is left, all three layers
// map onto photonic cores, and onnxruntime runs the result to torch's
// logits.
func TestFoldConstantsExporterRouting(t *testing.T) {
	dir := filepath.Join("testdata", "fold")
	m, err := Read(filepath.Join(dir, "fold_op13.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	bns, err := FoldBatchNorm(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(bns) != 2 {
		t.Errorf("folded BatchNorms %v, want both", bns)
	}
	for _, n := range m.Graph.Nodes {
		switch n.OpType {
		case "Transpose", "Identity", "BatchNormalization":
			t.Errorf("%s %q is left", n.OpType, n.Name)
		}
	}
	layers := m.Graph.PhotonicLayers()
	if len(layers) != 3 || layers[2].Node.OpType != "MatMul" || layers[2].Rows != 5 || layers[2].Cols != 64 {
		t.Fatalf("photonic layers %+v, want two Conv and the MatMul as [5, 64]", layers)
	}
	out := filepath.Join(t.TempDir(), "folded.onnx")
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	onnxtest.Check(t, out)
	torch := onnxtest.ReadNpy(t, filepath.Join(dir, "logits.npy"))
	got := onnxtest.RunORT(t, out, filepath.Join(dir, "input.npy"))
	if diff, span := onnxtest.MaxAbsDiff(got.Float, torch.Float), onnxtest.Range(torch.Float); diff > 1e-4*span {
		t.Errorf("folded model differs from torch by %.3g (logits range %.3g)", diff, span)
	}
}

// TestTranspose checks transpose against index arithmetic done by hand.
func TestTranspose(t *testing.T) {
	// [2, 3, 4] with element (i, j, k) = 100i + 10j + k
	in := &Tensor{DataType: Float, Dims: []int64{2, 3, 4}}
	for i := range 2 {
		for j := range 3 {
			for k := range 4 {
				in.Float = append(in.Float, float32(100*i+10*j+k))
			}
		}
	}
	out := transpose(in, []int64{2, 0, 1}, "t") // out[k][i][j] = in[i][j][k]
	if out.Dims[0] != 4 || out.Dims[1] != 2 || out.Dims[2] != 3 {
		t.Fatalf("dims %v, want [4 2 3]", out.Dims)
	}
	for k := range 4 {
		for i := range 2 {
			for j := range 3 {
				if got, want := out.Float[(k*2+i)*3+j], float32(100*i+10*j+k); got != want {
					t.Fatalf("out[%d][%d][%d] = %v, want %v", k, i, j, got, want)
				}
			}
		}
	}
}
