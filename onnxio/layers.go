package onnxio

// Layer is a node whose weight initializer is programmed onto photonic
// tensor cores: a Conv, or a Gemm or MatMul with a constant weight operand.
// The core computes y = M x with M of shape [Rows, Cols]: a Conv weight
// [O, I/G, kh, kw] becomes M = W.reshape(O, I/G*kh*kw) (PyTorch's im2col
// order); a Gemm/MatMul weight becomes M of shape [out, in], transposed
// when the node stores it as [in, out].
//
// A grouped Conv (G = Groups > 1; depthwise when I/G = 1) keeps that dense
// matrix: row r belongs to group r/(O/G) and multiplies the im2col columns
// of input channels g*I/G to (g+1)*I/G - 1. A core holding rows of several
// groups is programmed once and fed each group's input in turn, reading
// that group's rows: the writes are those of M, and the block-diagonal
// zeros of the equivalent ungrouped matrix are never programmed.
type Layer struct {
	Node       *Node
	Weight     string // initializer name
	Rows, Cols int
	Transposed bool // the initializer is stored [in, out]; M is its transpose
	Groups     int  // a Conv's group attribute; 1 for every other layer
}

// PhotonicLayers returns the graph's photonic layers in node order.
func (g *Graph) PhotonicLayers() []Layer {
	var layers []Layer
	for _, n := range g.Nodes {
		if l, ok := g.PhotonicLayer(n); ok {
			layers = append(layers, l)
		}
	}
	return layers
}

// PhotonicLayer returns n as a photonic layer, if it is one: a Conv, Gemm
// or MatMul whose second input is a float initializer that reads as a
// matrix (a Conv's [O, I/G, kh, kw], a Gemm's or MatMul's 2-D weight).
// This is the one definition every package uses.
func (g *Graph) PhotonicLayer(n *Node) (Layer, bool) {
	weightInput := 1
	if len(n.Inputs) <= weightInput {
		return Layer{}, false
	}
	w, ok := g.Initializers[n.Inputs[weightInput]]
	if !ok || w.DataType != Float {
		return Layer{}, false
	}
	l := Layer{Node: n, Weight: n.Inputs[weightInput], Groups: 1}
	switch n.OpType {
	case "Conv":
		l.Groups = int(n.AttrInt("group", 1))
		if len(w.Dims) < 3 || l.Groups < 1 || w.Dims[0]%int64(l.Groups) != 0 {
			return Layer{}, false
		}
		l.Rows = int(w.Dims[0])
		l.Cols = w.NumElements() / l.Rows
	case "Gemm":
		if len(w.Dims) != 2 {
			return Layer{}, false
		}
		if n.AttrInt("transB", 0) == 1 {
			l.Rows, l.Cols = int(w.Dims[0]), int(w.Dims[1])
		} else {
			l.Rows, l.Cols, l.Transposed = int(w.Dims[1]), int(w.Dims[0]), true
		}
	case "MatMul":
		if len(w.Dims) != 2 {
			return Layer{}, false
		}
		l.Rows, l.Cols, l.Transposed = int(w.Dims[1]), int(w.Dims[0]), true
	default:
		return Layer{}, false
	}
	return l, l.Rows > 0 && l.Cols > 0
}

// Matrix returns the layer's weight as the row-major matrix M, [Rows, Cols].
// Where the initializer is stored that way already (a Conv, a Gemm with
// transB), M shares w's storage: a model's largest tensors are not copied
// to be read.
func (l Layer) Matrix(w *Tensor) []float32 {
	if !l.Transposed {
		return w.Float
	}
	m := make([]float32, l.Rows*l.Cols)
	for in := 0; in < l.Cols; in++ {
		for out := 0; out < l.Rows; out++ {
			m[out*l.Cols+in] = w.Float[in*l.Rows+out]
		}
	}
	return m
}

// FromMatrix is the inverse of Matrix: it lays the row-major [Rows, Cols]
// matrix m out as the layer's weight initializer is stored, sharing m's
// storage where that is M's own layout.
func (l Layer) FromMatrix(m []float32) []float32 {
	if !l.Transposed {
		return m
	}
	w := make([]float32, l.Rows*l.Cols)
	for out := 0; out < l.Rows; out++ {
		for in := 0; in < l.Cols; in++ {
			w[in*l.Rows+out] = m[out*l.Cols+in]
		}
	}
	return w
}
