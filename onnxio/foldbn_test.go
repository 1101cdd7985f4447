package onnxio

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// bnParams are a BatchNormalization's scale, B, mean and var.
type bnParams struct{ scale, shift, mean, variance []float32 }

func (p bnParams) initializers(n int64) []*onnxpb.TensorProto {
	return []*onnxpb.TensorProto{
		floatData("bn_scale", []int64{n}, p.scale...),
		floatData("bn_B", []int64{n}, p.shift...),
		rawFloat("bn_mean", []int64{n}, p.mean...),
		rawFloat("bn_var", []int64{n}, p.variance...),
	}
}

func bnNode(eps float32) *onnxpb.NodeProto {
	return nodeP("BatchNormalization", "bn", []string{"c", "bn_scale", "bn_B", "bn_mean", "bn_var"}, []string{"y"},
		floatAttr("epsilon", eps), floatAttr("momentum", 0.9))
}

// convBN is x -> Conv(w, bias) -> c -> BatchNormalization -> y, with w
// [O,I,k,k], padding k/2 and bias omitted if nil.
func convBN(w []float32, wDims []int64, bias []float32, p bnParams, eps float32) *onnxpb.ModelProto {
	o, k := wDims[0], wDims[2]
	in := []string{"x", "w"}
	inits := []*onnxpb.TensorProto{floatData("w", wDims, w...)}
	if bias != nil {
		in = append(in, "b")
		inits = append(inits, floatData("b", []int64{o}, bias...))
	}
	pad := k / 2
	conv := nodeP("Conv", "conv", in, []string{"c"}, intsAttr("kernel_shape", k, k), intsAttr("pads", pad, pad, pad, pad))
	return modelP(&onnxpb.GraphProto{
		Node:        []*onnxpb.NodeProto{conv, bnNode(eps)},
		Initializer: append(inits, p.initializers(o)...),
		Input:       []*onnxpb.ValueInfoProto{tensorVI("x", 1, wDims[1], 5, 5)},
		Output:      []*onnxpb.ValueInfoProto{tensorVI("y", 1, o, 5, 5)},
		ValueInfo:   []*onnxpb.ValueInfoProto{tensorVI("c", 1, o, 5, 5)},
	})
}

func TestFoldBatchNormByHand(t *testing.T) {
	// s = scale/sqrt(var+eps) = [1/sqrt(4), 2/sqrt(1)] = [0.5, 2].
	p := bnParams{scale: []float32{1, 2}, shift: []float32{0.5, 1}, mean: []float32{1, 0}, variance: []float32{3.99, 0.99}}
	const eps = 0.01
	tests := []struct {
		name     string
		bias     []float32
		wantW    []float32
		wantB    []float32
		wantBias string
	}{
		// W' = W*s; b' = (b-mean)*s + B.
		{"with bias", []float32{1, -1}, []float32{1, 6}, []float32{(1-1)*0.5 + 0.5, (-1-0)*2 + 1}, "b"},
		{"without bias", nil, []float32{1, 6}, []float32{(0-1)*0.5 + 0.5, (0-0)*2 + 1}, "y_bias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			m, err := Read(writeFile(t, dir, "in.onnx", convBN([]float32{2, 3}, []int64{2, 1, 1, 1}, tt.bias, p, eps)))
			if err != nil {
				t.Fatal(err)
			}
			folded, err := FoldBatchNorm(m)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(folded, []string{"bn"}) {
				t.Fatalf("folded %v, want [bn]", folded)
			}
			g := m.Graph
			if len(g.Nodes) != 1 {
				t.Fatalf("%d nodes left, want 1", len(g.Nodes))
			}
			conv := g.Nodes[0]
			if !slices.Equal(conv.Inputs, []string{"x", "w", tt.wantBias}) || !slices.Equal(conv.Outputs, []string{"y"}) {
				t.Errorf("Conv now %v -> %v", conv.Inputs, conv.Outputs)
			}
			assertClose(t, "W'", g.Initializers["w"].Float, tt.wantW, 1e-6)
			assertClose(t, "b'", g.Initializers[tt.wantBias].Float, tt.wantB, 1e-6)
			for _, name := range []string{"bn_scale", "bn_B", "bn_mean", "bn_var"} {
				if g.Initializers[name] != nil {
					t.Errorf("initializer %s not removed", name)
				}
			}

			out := filepath.Join(dir, "out.onnx")
			if err := Write(out, m); err != nil {
				t.Fatal(err)
			}
			m2, err := Read(out)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffModels(m, m2); d != "" {
				t.Error(d)
			}
			mp := readProto(t, out)
			if len(mp.Graph.ValueInfo) != 0 || len(mp.Graph.Initializer) != 2 {
				t.Errorf("written graph keeps value_info %v and %d initializers", mp.Graph.ValueInfo, len(mp.Graph.Initializer))
			}
		})
	}
}

func TestFoldBatchNormConvReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randn := func(n int, lo, hi float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		return v
	}
	const o, i, k = 3, 2, 3
	w := randn(o*i*k*k, -1, 1)
	x := randn(i*5*5, -1, 1)
	p := bnParams{scale: randn(o, 0.5, 2), shift: randn(o, -1, 1), mean: randn(o, -0.5, 0.5), variance: randn(o, 0.1, 3)}
	const eps = 1e-3

	for _, bias := range [][]float32{randn(o, -1, 1), nil} {
		m := mustParse(t, convBN(w, []int64{o, i, k, k}, bias, p, eps))
		folded, err := FoldBatchNorm(m)
		if err != nil || len(folded) != 1 {
			t.Fatalf("FoldBatchNorm = %v, %v", folded, err)
		}
		// Reference: the unfolded network, entirely in float64.
		ref := conv2d(x, i, 5, 5, w, o, k, bias)
		for c := range o {
			s := float64(p.scale[c]) / math.Sqrt(float64(p.variance[c])+eps)
			for j := range 25 {
				ref[c*25+j] = (ref[c*25+j]-float64(p.mean[c]))*s + float64(p.shift[c])
			}
		}
		conv := m.Graph.Nodes[0]
		got := conv2d(x, i, 5, 5, m.Graph.Initializers[conv.Inputs[1]].Float, o, k, m.Graph.Initializers[conv.Inputs[2]].Float)
		assertClose(t, "folded conv", toF32(got), toF32(ref), 1e-5)
	}
}

// conv2d is a direct NCHW convolution of one image with stride 1 and
// padding k/2; bias may be nil.
func conv2d(x []float32, c, h, w int, wt []float32, o, k int, bias []float32) []float64 {
	out := make([]float64, o*h*w)
	pad := k / 2
	for oc := range o {
		for y := range h {
			for xx := range w {
				sum := 0.0
				if bias != nil {
					sum = float64(bias[oc])
				}
				for ic := range c {
					for ky := range k {
						for kx := range k {
							iy, ix := y+ky-pad, xx+kx-pad
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							sum += float64(x[(ic*h+iy)*w+ix]) * float64(wt[((oc*c+ic)*k+ky)*k+kx])
						}
					}
				}
				out[(oc*h+y)*w+xx] = sum
			}
		}
	}
	return out
}

func TestFoldBatchNormGemmReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	randn := func(n int, lo, hi float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		return v
	}
	const batch, in, out = 2, 4, 3
	a := randn(batch*in, -1, 1)
	p := bnParams{scale: randn(out, 0.5, 2), shift: randn(out, -1, 1), mean: randn(out, -0.5, 0.5), variance: randn(out, 0.1, 3)}
	const eps = 1e-5

	tests := []struct {
		name        string
		transB      int64
		withC       bool
		alpha, beta float32
	}{
		{"transB=1 with C", 1, true, 1, 1},
		{"transB=0 with C", 0, true, 1, 1},
		{"transB=1 without C", 1, false, 1, 1},
		{"transB=0 alpha beta", 0, true, 2, 0.5},
		{"without C beta", 1, false, 1, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := randn(in*out, -1, 1) // [out,in] if transB=1, else [in,out]
			bDims := []int64{in, out}
			if tt.transB == 1 {
				bDims = []int64{out, in}
			}
			var c []float32
			inputs := []string{"a", "B"}
			inits := []*onnxpb.TensorProto{rawFloat("B", bDims, b...)}
			if tt.withC {
				c = randn(out, -1, 1)
				inputs = append(inputs, "C")
				inits = append(inits, rawFloat("C", []int64{out}, c...))
			}
			gemm := nodeP("Gemm", "fc", inputs, []string{"c"},
				intAttr("transB", tt.transB), floatAttr("alpha", tt.alpha), floatAttr("beta", tt.beta))
			mp := modelP(&onnxpb.GraphProto{
				Node:        []*onnxpb.NodeProto{gemm, bnNode(eps)},
				Initializer: append(inits, p.initializers(out)...),
				Input:       []*onnxpb.ValueInfoProto{tensorVI("a", batch, in)},
				Output:      []*onnxpb.ValueInfoProto{tensorVI("y", batch, out)},
			})
			m := mustParse(t, mp)
			if folded, err := FoldBatchNorm(m); err != nil || len(folded) != 1 {
				t.Fatalf("FoldBatchNorm = %v, %v", folded, err)
			}
			ref := gemmRef(a, b, c, batch, in, out, tt.transB, tt.alpha, tt.beta)
			for r := range batch {
				for j := range out {
					s := float64(p.scale[j]) / math.Sqrt(float64(p.variance[j])+eps)
					ref[r*out+j] = (ref[r*out+j]-float64(p.mean[j]))*s + float64(p.shift[j])
				}
			}
			n := m.Graph.Nodes[0]
			if len(n.Inputs) != 3 || !slices.Equal(n.Outputs, []string{"y"}) {
				t.Fatalf("Gemm now %v -> %v", n.Inputs, n.Outputs)
			}
			g := m.Graph.Initializers
			got := gemmRef(a, g[n.Inputs[1]].Float, g[n.Inputs[2]].Float, batch, in, out, tt.transB, tt.alpha, tt.beta)
			assertClose(t, "folded gemm", toF32(got), toF32(ref), 1e-5)
		})
	}
}

// gemmRef computes alpha*A*B + beta*C for A [m,in], B [out,in] (transB=1)
// or [in,out], and C [out] or nil.
func gemmRef(a, b, c []float32, m, in, out int, transB int64, alpha, beta float32) []float64 {
	y := make([]float64, m*out)
	for r := range m {
		for j := range out {
			sum := 0.0
			for k := range in {
				bv := b[k*out+j]
				if transB == 1 {
					bv = b[j*in+k]
				}
				sum += float64(a[r*in+k]) * float64(bv)
			}
			y[r*out+j] = float64(alpha) * sum
			if c != nil {
				y[r*out+j] += float64(beta) * float64(c[j])
			}
		}
	}
	return y
}

func TestFoldBatchNormSkips(t *testing.T) {
	p := bnParams{scale: []float32{1, 2}, shift: []float32{0, 1}, mean: []float32{1, 0}, variance: []float32{1, 1}}
	base := func() *onnxpb.ModelProto {
		return convBN([]float32{2, 3}, []int64{2, 1, 1, 1}, []float32{1, 1}, p, 1e-5)
	}
	tests := []struct {
		name   string
		mutate func(mp *onnxpb.ModelProto)
	}{
		{"training outputs used", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[1].Output = []string{"y", "running_mean", "running_var"}
			mp.Graph.Output = append(mp.Graph.Output, tensorVI("running_mean", 2))
		}},
		{"training mode", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[1].Attribute = append(mp.Graph.Node[1].Attribute, intAttr("training_mode", 1))
		}},
		{"per-element (spatial=0)", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[1].Attribute = append(mp.Graph.Node[1].Attribute, intAttr("spatial", 0))
		}},
		{"conv output used twice", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node = append(mp.Graph.Node, nodeP("Relu", "r", []string{"c"}, []string{"r"}))
			mp.Graph.Output = append(mp.Graph.Output, tensorVI("r"))
		}},
		{"conv output is a graph output", func(mp *onnxpb.ModelProto) { mp.Graph.Output = append(mp.Graph.Output, tensorVI("c")) }},
		{"weights shared", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node = append(mp.Graph.Node, nodeP("Conv", "conv2", []string{"x", "w"}, []string{"c2"}))
			mp.Graph.Output = append(mp.Graph.Output, tensorVI("c2"))
		}},
		{"weights also the data input", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Input[0] = "w"
		}},
		{"bias used in a subgraph", func(mp *onnxpb.ModelProto) {
			body := &onnxpb.GraphProto{
				Node:   []*onnxpb.NodeProto{nodeP("Identity", "inner", []string{"b"}, []string{"o"})},
				Output: []*onnxpb.ValueInfoProto{tensorVI("o")},
			}
			mp.Graph.Initializer = append(mp.Graph.Initializer, &onnxpb.TensorProto{Name: "cond", DataType: int32(Bool), Int32Data: []int32{1}})
			mp.Graph.Node = append(mp.Graph.Node, nodeP("If", "if", []string{"cond"}, []string{"z"},
				&onnxpb.AttributeProto{Name: "then_branch", Type: onnxpb.AttributeProto_GRAPH, G: body},
				&onnxpb.AttributeProto{Name: "else_branch", Type: onnxpb.AttributeProto_GRAPH, G: body}))
			mp.Graph.Output = append(mp.Graph.Output, tensorVI("z"))
		}},
		{"weights are a graph input", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer = mp.Graph.Initializer[1:]
			mp.Graph.Input = append(mp.Graph.Input, tensorVI("w", 2, 1, 1, 1))
		}},
		{"not after conv or gemm", func(mp *onnxpb.ModelProto) { mp.Graph.Node[0].OpType = "ConvTranspose" }},
		{"parameter length", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer[2] = floatData("bn_scale", []int64{3}, 1, 2, 3)
		}},
		{"int parameters", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer[2] = int64Data("bn_scale", []int64{2}, 1, 2)
		}},
		{"non-positive variance", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer[5] = floatData("bn_var", []int64{2}, 1, -1e-5)
		}},
		{"bias not a vector", func(mp *onnxpb.ModelProto) {
			mp.Graph.Initializer[1] = floatData("b", []int64{1, 2}, 1, 1)
		}},
		{"custom domain", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[1].Domain = "com.example"
			mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: "com.example", Version: 1})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp := base()
			tt.mutate(mp)
			m := mustParse(t, mp)
			folded, err := FoldBatchNorm(m)
			if err != nil || len(folded) != 0 {
				t.Fatalf("FoldBatchNorm = %v, %v; want nothing folded", folded, err)
			}
			if d := diffModels(m, mustParse(t, mp)); d != "" {
				t.Errorf("model changed: %s", d)
			}
		})
	}
}

// TestFoldBatchNormSharedParameters folds a BatchNormalization whose
// parameters other values share, as PyTorch's exporter produces when two
// parameters are equal; shared initializers must survive the fold.
func TestFoldBatchNormSharedParameters(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*onnxpb.ModelProto)
		kept   string
		nodes  int // left after folding
	}{
		{"bn parameters the same tensor", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[1].Input[3] = "bn_var"
			mp.Graph.Initializer = slices.Delete(mp.Graph.Initializer, 4, 5)
		}, "", 1},
		{"bn parameter shared with another node", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node = append(mp.Graph.Node, nodeP("Identity", "id", []string{"bn_mean"}, []string{"m"}))
			mp.Graph.Output = append(mp.Graph.Output, tensorVI("m"))
		}, "bn_mean", 2},
		{"bn parameter behind an Identity", func(mp *onnxpb.ModelProto) {
			id := nodeP("Identity", "id", []string{"bn_B"}, []string{"bn_B_copy"})
			mp.Graph.Node = append([]*onnxpb.NodeProto{id}, mp.Graph.Node...)
			mp.Graph.Node[2].Input[2] = "bn_B_copy"
		}, "", 1},
	}
	p := bnParams{scale: []float32{1, 2}, shift: []float32{0, 1}, mean: []float32{1, 0}, variance: []float32{1, 1}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp := convBN([]float32{2, 3}, []int64{2, 1, 1, 1}, []float32{1, 1}, p, 1e-5)
			tt.mutate(mp)
			m := mustParse(t, mp)
			folded, err := FoldBatchNorm(m)
			if err != nil || len(folded) != 1 {
				t.Fatalf("FoldBatchNorm = %v, %v; want one fold", folded, err)
			}
			if tt.kept != "" && m.Graph.Initializers[tt.kept] == nil {
				t.Errorf("shared initializer %q was removed", tt.kept)
			}
			if len(m.Graph.Nodes) != tt.nodes {
				t.Errorf("%d nodes left, want %d", len(m.Graph.Nodes), tt.nodes)
			}
			for _, n := range m.Graph.Nodes {
				if n.OpType == "BatchNormalization" {
					t.Errorf("BatchNormalization %q is still in the graph", n.Name)
				}
			}
		})
	}
}

func TestFoldBatchNormGemmSkips(t *testing.T) {
	p := bnParams{scale: []float32{1, 2}, shift: []float32{0, 1}, mean: []float32{1, 0}, variance: []float32{1, 1}}
	tests := []struct {
		name  string
		attrs []*onnxpb.AttributeProto
		c     *onnxpb.TensorProto
	}{
		{"C per element", nil, floatData("C", []int64{1, 2}, 1, 1)},
		{"C scalar", nil, floatData("C", []int64{1}, 1)},
		{"beta zero", []*onnxpb.AttributeProto{floatAttr("beta", 0)}, floatData("C", []int64{2}, 1, 1)},
		{"bad transB", []*onnxpb.AttributeProto{intAttr("transB", 2)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inputs := []string{"a", "B"}
			inits := append(p.initializers(2), floatData("B", []int64{2, 2}, 1, 2, 3, 4))
			if tt.c != nil {
				inputs = append(inputs, "C")
				inits = append(inits, tt.c)
			}
			mp := modelP(&onnxpb.GraphProto{
				Node:        []*onnxpb.NodeProto{nodeP("Gemm", "fc", inputs, []string{"c"}, tt.attrs...), bnNode(1e-5)},
				Initializer: inits,
				Input:       []*onnxpb.ValueInfoProto{tensorVI("a", 1, 2)},
				Output:      []*onnxpb.ValueInfoProto{tensorVI("y", 1, 2)},
			})
			m := mustParse(t, mp)
			if folded, err := FoldBatchNorm(m); err != nil || len(folded) != 0 {
				t.Fatalf("FoldBatchNorm = %v, %v; want nothing folded", folded, err)
			}
		})
	}
}

func TestFoldBatchNormChain(t *testing.T) {
	// conv1 -> bn1 -> relu -> conv2 -> bn2 (unnamed), with y_bias taken.
	p := bnParams{scale: []float32{1}, shift: []float32{0}, mean: []float32{0}, variance: []float32{1}}
	inits := []*onnxpb.TensorProto{
		floatData("w1", []int64{1, 1, 1, 1}, 2),
		floatData("w2", []int64{1, 1, 1, 1}, 3),
		floatData("y_bias", []int64{1}, 0),
	}
	for _, pre := range []string{"p1_", "p2_"} {
		for _, tp := range p.initializers(1) {
			tp.Name = pre + tp.Name
			inits = append(inits, tp)
		}
	}
	bn := func(name, in, pre, out string) *onnxpb.NodeProto {
		return nodeP("BatchNormalization", name, []string{in, pre + "bn_scale", pre + "bn_B", pre + "bn_mean", pre + "bn_var"}, []string{out})
	}
	mp := modelP(&onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeP("Conv", "conv1", []string{"x", "w1", ""}, []string{"c1"}),
			bn("bn1", "c1", "p1_", "n1"),
			nodeP("Relu", "relu", []string{"n1"}, []string{"r"}),
			nodeP("Conv", "conv2", []string{"r", "w2"}, []string{"c2"}),
			bn("", "c2", "p2_", "y"),
			nodeP("Add", "add", []string{"y", "y_bias"}, []string{"z"}),
		},
		Initializer: inits,
		Input:       []*onnxpb.ValueInfoProto{tensorVI("x", 1, 1, 2, 2)},
		Output:      []*onnxpb.ValueInfoProto{tensorVI("z", 1, 1, 2, 2)},
	})
	path := writeFile(t, t.TempDir(), "chain.onnx", mp)
	m, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	folded, err := FoldBatchNorm(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bn1", "y"}; !slices.Equal(folded, want) {
		t.Errorf("folded %v, want %v", folded, want)
	}
	var ops []string
	for _, n := range m.Graph.Nodes {
		ops = append(ops, n.Name+":"+strings.Join(n.Inputs, ",")+"->"+strings.Join(n.Outputs, ","))
	}
	want := []string{"conv1:x,w1,n1_bias->n1", "relu:n1->r", "conv2:r,w2,y_bias_1->y", "add:y,y_bias->z"}
	if !slices.Equal(ops, want) {
		t.Errorf("nodes %v, want %v", ops, want)
	}
	if err := Write(filepath.Join(t.TempDir(), "out.onnx"), m); err != nil {
		t.Error(err)
	}

	// A tensor that contradicts its shape is a bug in an earlier pass.
	m, err = Read(path)
	if err != nil {
		t.Fatal(err)
	}
	m.Graph.Initializers["w1"].Float = nil
	if _, err := FoldBatchNorm(m); err == nil || !strings.HasPrefix(err.Error(), path+`: folding node "bn1" (BatchNormalization): initializer "w1"`) {
		t.Errorf("FoldBatchNorm error = %v", err)
	}
	if _, err := FoldBatchNorm(&Model{}); err == nil {
		t.Error("FoldBatchNorm of an empty model succeeded")
	}
}

func assertClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); d > tol*math.Max(1, math.Abs(float64(want[i]))) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func TestFoldBatchNormLegacyInputs(t *testing.T) {
	// Exports with keep_initializers_as_inputs list every weight as a graph
	// input; elight treats them as weights, and Write drops the inputs of
	// the parameters folding removed.
	p := bnParams{scale: []float32{1, 2}, shift: []float32{0, 1}, mean: []float32{1, 0}, variance: []float32{1, 1}}
	mp := convBN([]float32{2, 3}, []int64{2, 1, 1, 1}, []float32{1, 1}, p, 1e-5)
	for _, tp := range mp.Graph.Initializer {
		mp.Graph.Input = append(mp.Graph.Input, tensorVI(tp.Name, tp.Dims...))
	}
	dir := t.TempDir()
	m, err := Read(writeFile(t, dir, "in.onnx", mp))
	if err != nil {
		t.Fatal(err)
	}
	if folded, err := FoldBatchNorm(m); err != nil || len(folded) != 1 {
		t.Fatalf("FoldBatchNorm = %v, %v", folded, err)
	}
	out := filepath.Join(dir, "out.onnx")
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for _, vi := range readProto(t, out).Graph.Input {
		inputs = append(inputs, vi.Name)
	}
	if want := []string{"x", "w", "b"}; !slices.Equal(inputs, want) {
		t.Errorf("graph inputs %v, want %v", inputs, want)
	}
}

// TestFoldBatchNormMatchesExporter folds each testdata network's
// BatchNorm-kept export and compares every Conv and Gemm weight and bias,
// bit for bit, with the export PyTorch fused itself: elight folds in the
// exporter's float32 arithmetic, so both exports give the same levels.
func TestFoldBatchNormMatchesExporter(t *testing.T) {
	for _, name := range []string{"vgg8", "resnet", "mobile"} {
		kept, err := Read(filepath.Join("..", "testdata", name, name+"_bn_op13.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		fused, err := Read(filepath.Join("..", "testdata", name, name+"_bnfold_op13.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := FoldBatchNorm(kept); err != nil {
			t.Fatal(err)
		}
		a, b := kept.Graph.PhotonicLayers(), fused.Graph.PhotonicLayers()
		if len(a) != len(b) {
			t.Fatalf("%s: %d layers after folding, the fused export has %d", name, len(a), len(b))
		}
		for i := range a {
			for input := 1; input < min(len(a[i].Node.Inputs), 3); input++ {
				wa, wb := kept.Graph.Initializers[a[i].Node.Inputs[input]], fused.Graph.Initializers[b[i].Node.Inputs[input]]
				if wa == nil || wb == nil {
					continue
				}
				if !slices.Equal(wa.Float, wb.Float) {
					t.Errorf("%s: layer %s input %d differs from the exporter's fused values", name, a[i].Node.Name, input)
				}
			}
		}
	}
}
