package onnxio

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// FoldBatchNorm merges inference-mode BatchNormalization nodes into the Conv
// or Gemm node that feeds them, so that the batch normalisation becomes part
// of the weights programmed into the photonic mesh instead of an extra
// electronic step. It returns the names of the BatchNormalization nodes it
// removed (the output name for a node without a name).
//
// With s = scale/sqrt(var+epsilon), computed in float64, each output channel
// o of the weights is multiplied by s[o] and the bias becomes
// (bias-mean)*s+B, with bias 0 if the layer had none; a new bias initializer
// is added as the layer's third input then. The layer takes over the
// BatchNormalization's output name, and the BatchNormalization node and its
// initializers are removed.
//
// A BatchNormalization is folded only if it is in inference form (only its
// first output used), its input is the only use of a Conv's or Gemm's
// output, the layer's weights and bias are float initializers used by
// nothing else, and the normalisation's parameters are float initializers
// (which other nodes may share: they are only read, and removed once
// unused). A Gemm must hold
// B as [out,in] with transB=1 or [in,out] with transB=0, and a bias C only
// as a vector of one value per output. Other BatchNormalization nodes are
// left for the forward pass to compute.
//
// It calls FoldConstants first, so that layers whose weight or bias an
// exporter routed through Transpose or Identity nodes are folded too.
func FoldBatchNorm(m *Model) (folded []string, err error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	if _, err := FoldConstants(m); err != nil {
		return nil, err
	}
	pinned := pinnedNames(m.Graph)
	var bns []*Node
	for _, n := range m.Graph.Nodes {
		if n.OpType == "BatchNormalization" && isDefaultDomain(n.Domain) {
			bns = append(bns, n)
		}
	}
	for _, bn := range bns {
		// folding can remove other nodes (Identity chains), so positions
		// are looked up afresh
		i := slices.Index(m.Graph.Nodes, bn)
		ok, err := foldOne(m, bn, pinned)
		if err != nil {
			err = fmt.Errorf("folding %s: %w", bn.label(i), err)
			if m.Path != "" {
				err = fmt.Errorf("%s: %w", m.Path, err)
			}
			return folded, err
		}
		if !ok {
			continue
		}
		m.Graph.Nodes = slices.DeleteFunc(m.Graph.Nodes, func(n *Node) bool { return n == bn })
		name := bn.Name
		if name == "" {
			name = bn.Outputs[0]
		}
		folded = append(folded, name)
	}
	return folded, nil
}

// pinnedNames returns the values that must keep their name and contents:
// the graph's inputs and outputs, and the outer values that subgraphs of
// control-flow nodes use, which Graph.Consumers does not see.
func pinnedNames(g *Graph) map[string]bool {
	pinned := make(map[string]bool)
	for _, v := range g.Inputs {
		pinned[v.Name] = true
	}
	for _, v := range g.Outputs {
		pinned[v.Name] = true
	}
	var walk func(gp *onnxpb.GraphProto)
	walkAttrs := func(attrs []*onnxpb.AttributeProto) {
		for _, pa := range attrs {
			if pa.GetG() != nil {
				walk(pa.GetG())
			}
			for _, sg := range pa.GetGraphs() {
				walk(sg)
			}
		}
	}
	walk = func(gp *onnxpb.GraphProto) {
		for _, np := range gp.GetNode() {
			for _, in := range np.GetInput() {
				pinned[in] = true
			}
			walkAttrs(np.GetAttribute())
		}
		for _, vi := range gp.GetOutput() {
			pinned[vi.GetName()] = true
		}
	}
	for _, n := range g.Nodes {
		if n.proto != nil {
			walkAttrs(n.proto.GetAttribute())
		}
	}
	return pinned
}

// foldOne folds bn into the layer that feeds it if it can, and reports
// whether it did. It changes nothing when it reports false.
func foldOne(m *Model, bn *Node, pinned map[string]bool) (bool, error) {
	g := m.Graph
	if len(bn.Inputs) != 5 || len(bn.Outputs) == 0 || bn.Outputs[0] == "" {
		return false, nil
	}
	// Opsets before 9 could normalise per element instead of per channel;
	// training mode updates statistics from the batch.
	if bn.AttrInt("spatial", 1) == 0 || bn.AttrInt("training_mode", 0) != 0 {
		return false, nil
	}
	for _, o := range bn.Outputs[1:] {
		if o != "" && (pinned[o] || len(g.Consumers(o)) > 0) {
			return false, nil
		}
	}
	x, y := bn.Inputs[0], bn.Outputs[0]
	layer := g.Producer(x)
	if layer == nil || !isDefaultDomain(layer.Domain) || len(layer.Outputs) != 1 ||
		pinned[x] || len(g.Consumers(x)) != 1 {
		return false, nil
	}
	if len(layer.Inputs) < 2 || len(layer.Inputs) > 3 {
		return false, nil
	}
	biasName := ""
	if len(layer.Inputs) == 3 {
		biasName = layer.Inputs[2]
	}

	// Every initializer involved must be used once, by its node only, or
	// rewriting it would change another computation.
	private := func(name string, n *Node) bool {
		uses := 0
		for _, in := range n.Inputs {
			if in == name {
				uses++
			}
		}
		return uses == 1 && !pinned[name] && g.Initializers[name] != nil && len(g.Consumers(name)) == 1
	}
	if !private(layer.Inputs[1], layer) || (biasName != "" && !private(biasName, layer)) {
		return false, nil
	}
	// The normalisation's parameters are only read, so they may be shared:
	// PyTorch's exporter merges initializers with equal contents, such as
	// two BatchNorms' zero biases.
	// The exporter also passes a merged initializer through an Identity
	// node to the second user.
	for _, name := range bn.Inputs[1:] {
		if pinned[name] || constantBehindIdentity(g, name) == nil {
			return false, nil
		}
	}

	w := g.Initializers[layer.Inputs[1]]
	// The output channel o of element i of w is i/inner%outs: w is
	// [outs, inner...] for Conv and Gemm with transB=1, [rows, outs] for
	// Gemm with transB=0 (inner 1).
	var outs, inner int64
	beta := 1.0
	switch layer.OpType {
	case "Conv":
		if len(w.Dims) < 3 {
			return false, nil
		}
		outs, inner = w.Dims[0], 1
		for _, d := range w.Dims[1:] {
			inner *= d
		}
	case "Gemm":
		if len(w.Dims) != 2 {
			return false, nil
		}
		switch layer.AttrInt("transB", 0) {
		case 1:
			outs, inner = w.Dims[0], w.Dims[1]
		case 0:
			outs, inner = w.Dims[1], 1
		default:
			return false, nil
		}
		// Y = alpha*A*B + beta*C: alpha scales with the weights, but the
		// bias must be divided by beta, which therefore cannot be 0.
		beta = float64(layer.AttrFloat("beta", 1))
		if beta == 0 || math.IsNaN(beta) || math.IsInf(beta, 0) {
			return false, nil
		}
	default:
		return false, nil
	}

	params := make([][]float32, 4)
	for k, name := range bn.Inputs[1:] {
		t := constantBehindIdentity(g, name)
		if !isFloat(t.DataType) || !slices.Equal(t.Dims, []int64{outs}) {
			return false, nil
		}
		if err := checkLen(t); err != nil {
			return false, err
		}
		params[k] = t.Float
	}
	scale, shift, mean, variance := params[0], params[1], params[2], params[3]
	if !isFloat(w.DataType) {
		return false, nil
	}
	if err := checkLen(w); err != nil {
		return false, err
	}
	var bias *Tensor
	if biasName != "" {
		bias = g.Initializers[biasName]
		if !isFloat(bias.DataType) || !slices.Equal(bias.Dims, []int64{outs}) {
			return false, nil
		}
		if err := checkLen(bias); err != nil {
			return false, err
		}
	}

	// float32, one rounding per operation, in the order of PyTorch's
	// exporter (its eval peephole pass, fuseConvBN): s = gamma /
	// sqrt(var + eps), W' = W s, b' = (b - mean) s + beta. A BatchNorm this
	// function folds then gives bit for bit the weights of the same network
	// exported with BatchNorm fused, and so the same levels and writes
	// (float64 arithmetic moved a few weights of a ResNet-18 across a level
	// boundary). The explicit conversions keep the compiler from fusing a
	// multiply and an add.
	eps := bn.AttrFloat("epsilon", 1e-5)
	s := make([]float32, outs)
	for o := range s {
		s[o] = float32(scale[o] / float32(math.Sqrt(float64(float32(variance[o]+eps)))))
		if math.IsNaN(float64(s[o])) || math.IsInf(float64(s[o]), 0) {
			return false, nil // a negative or zero variance: leave it visible
		}
	}

	newW := &Tensor{Name: w.Name, DataType: w.DataType, Dims: slices.Clone(w.Dims), Float: make([]float32, len(w.Float))}
	for i, v := range w.Float {
		newW.Float[i] = float32(v * s[int64(i)/inner%outs])
	}
	newB := &Tensor{DataType: Float, Dims: []int64{outs}, Float: make([]float32, outs)}
	if bias != nil {
		newB.Name, newB.DataType = bias.Name, bias.DataType
	} else {
		newB.Name = uniqueName(g, pinned, y+"_bias")
	}
	for o := range newB.Float {
		var b float32
		if bias != nil {
			b = bias.Float[o]
		}
		if beta == 1 {
			newB.Float[o] = float32(float32(float32(b-mean[o])*s[o]) + shift[o])
			continue
		}
		// A Gemm's beta scales the bias: (b beta - mean) s + shift, over beta.
		newB.Float[o] = float32(((float64(b)*beta-float64(mean[o]))*float64(s[o]) + float64(shift[o])) / beta)
	}

	m.SetInitializer(newW)
	m.SetInitializer(newB)
	if len(layer.Inputs) == 2 {
		layer.Inputs = append(layer.Inputs, newB.Name)
	} else {
		layer.Inputs[2] = newB.Name
	}
	layer.Outputs[0] = y
	for _, name := range bn.Inputs[1:] {
		removeIfUnused(m, name, bn)
	}
	return true, nil
}

// constantBehindIdentity returns the initializer name holds, directly or
// through a chain of Identity nodes, or nil.
func constantBehindIdentity(g *Graph, name string) *Tensor {
	for {
		if t := g.Initializers[name]; t != nil {
			return t
		}
		p := g.Producer(name)
		if p == nil || p.OpType != "Identity" || !isDefaultDomain(p.Domain) || len(p.Inputs) != 1 {
			return nil
		}
		name = p.Inputs[0]
	}
}

// removeIfUnused deletes the initializer (or Identity chain leading to one)
// that name refers to once user, which is about to go, is its only reader.
func removeIfUnused(m *Model, name string, user *Node) {
	g := m.Graph
	if !onlyUser(g, name, user) {
		return
	}
	if g.Initializers[name] != nil {
		delete(g.Initializers, name)
		delete(m.changed, name)
		return
	}
	p := g.Producer(name)
	if p == nil || p.OpType != "Identity" {
		return
	}
	for i, n := range g.Nodes {
		if n == p {
			g.Nodes = slices.Delete(g.Nodes, i, i+1)
			break
		}
	}
	removeIfUnused(m, p.Inputs[0], p)
}

// onlyUser reports whether n is the only node that reads name.
func onlyUser(g *Graph, name string, n *Node) bool {
	for _, c := range g.Consumers(name) {
		if c != n {
			return false
		}
	}
	return true
}

// checkLen reports a tensor whose element slice does not match its shape,
// which only a bug in a pass can produce.
func checkLen(t *Tensor) error {
	n, err := elementCount(t.Dims)
	if err != nil {
		return fmt.Errorf("initializer %q: %w", t.Name, err)
	}
	if len(t.Float) != n {
		return fmt.Errorf("initializer %q: shape %s needs %d elements, tensor holds %d",
			t.Name, fmtDims(t.Dims), n, len(t.Float))
	}
	return nil
}

// uniqueName returns base, or base with a numeric suffix, whichever first
// names no value of the graph.
func uniqueName(g *Graph, pinned map[string]bool, base string) string {
	taken := func(name string) bool {
		if pinned[name] || g.Initializers[name] != nil || g.Producer(name) != nil || len(g.Consumers(name)) > 0 {
			return true
		}
		return false
	}
	name := base
	for i := 1; taken(name); i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	return name
}
