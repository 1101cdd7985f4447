package network

import (
	"fmt"

	"github.com/elight-photonic/elight/onnxio"
	G "gorgonia.org/gorgonia"
)

// reshaped gives v a new shape with the same elements. Integer build-time
// values stay build-time values; float values become graph nodes so that a
// reshaped initializer is still the trainable parameter.
func (b *builder) reshaped(name string, v *value, shape []int) (*value, error) {
	if numElements(shape) != numElements(v.shape) {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", v.shape, numElements(v.shape), shape)
	}
	if numElements(shape) == 0 {
		// gorgonia has no empty tensors; an empty result is known anyway
		return &value{shape: shape, konst: &onnxio.Tensor{DataType: onnxio.Float, Dims: intsToDims(shape), Float: []float32{}}}, nil
	}
	if v.konst != nil && v.konst.DataType != onnxio.Float {
		t := *v.konst
		t.Dims = intsToDims(shape)
		return &value{shape: shape, konst: &t}, nil
	}
	node, err := b.runtime(name, v)
	if err != nil {
		return nil, err
	}
	if !sameShape(runtimeShape(shape), node.Shape()) {
		if node, err = G.Reshape(node, runtimeShape(shape)); err != nil {
			return nil, err
		}
	}
	return &value{shape: shape, node: node}, nil
}

func buildFlatten(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	x := ins[0]
	rank := len(x.shape)
	axis := int(n.AttrInt("axis", 1))
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis > rank {
		return nil, fmt.Errorf("axis %d is out of range for rank %d", n.AttrInt("axis", 1), rank)
	}
	shape := []int{numElements(x.shape[:axis]), numElements(x.shape[axis:])}
	out, err := b.reshaped(n.Inputs[0], x, shape)
	return []*value{out}, err
}

func buildReshape(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	x := ins[0]
	var target []int64
	if b.model.Opset < 5 {
		target = n.AttrInts("shape", nil)
	} else {
		var err error
		if len(ins) < 2 {
			return nil, fmt.Errorf("the shape input is missing")
		}
		if target, err = ints(ins[1], "the shape input"); err != nil {
			return nil, err
		}
	}
	shape, err := reshapeTarget(x.shape, target, n.AttrInt("allowzero", 0) == 1)
	if err != nil {
		return nil, err
	}
	out, err := b.reshaped(n.Inputs[0], x, shape)
	return []*value{out}, err
}

// reshapeTarget resolves ONNX Reshape's 0 (copy the input dimension, unless
// allowZero) and -1 (infer) entries.
func reshapeTarget(in []int, target []int64, allowZero bool) ([]int, error) {
	shape := make([]int, len(target))
	infer := -1
	known := 1
	for i, t := range target {
		switch {
		case t == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", target)
			}
			infer = i
			continue
		case t == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v copies dimension %d, but the input has rank %d", target, i, len(in))
			}
			shape[i] = in[i]
		case t < 0:
			return nil, fmt.Errorf("shape %v has invalid entry %d", target, t)
		default:
			shape[i] = int(t)
		}
		known *= shape[i]
	}
	total := numElements(in)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", in, target)
		}
		shape[infer] = total / known
	}
	if numElements(shape) != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, target)
	}
	return shape, nil
}

func buildConcat(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	var present []*value
	var names []string
	for i, v := range ins {
		// empty inputs add nothing, and gorgonia has no empty tensors
		if v != nil && (numElements(v.shape) > 0 || len(ins) == 1) {
			present = append(present, v)
			names = append(names, n.Inputs[i])
		}
	}
	if len(present) == 0 {
		return nil, fmt.Errorf("no inputs")
	}
	rank := len(present[0].shape)
	axis, err := normAxis(n.AttrInt("axis", 0), rank)
	if err != nil {
		return nil, err
	}
	shape := append([]int(nil), present[0].shape...)
	shape[axis] = 0
	allInt := true
	for _, v := range present {
		if len(v.shape) != rank {
			return nil, fmt.Errorf("inputs have ranks %d and %d", rank, len(v.shape))
		}
		for d := range v.shape {
			if d != axis && v.shape[d] != shape[d] {
				return nil, fmt.Errorf("input shapes %v and %v differ outside axis %d", present[0].shape, v.shape, axis)
			}
		}
		shape[axis] += v.shape[axis]
		allInt = allInt && v.konst != nil && v.konst.DataType != onnxio.Float
	}
	if allInt {
		return []*value{{shape: shape, konst: concatInts(present, shape, axis)}}, nil
	}
	nodes := make([]*G.Node, len(present))
	for i, v := range present {
		if nodes[i], err = b.runtime(names[i], v); err != nil {
			return nil, err
		}
	}
	if len(nodes) == 1 {
		return []*value{{shape: shape, node: nodes[0]}}, nil
	}
	out, err := G.Concat(axis, nodes...)
	return []*value{{shape: shape, node: out}}, err
}

func concatInts(parts []*value, shape []int, axis int) *onnxio.Tensor {
	outer := numElements(shape[:axis])
	out := make([]int64, 0, numElements(shape))
	for o := 0; o < outer; o++ {
		for _, p := range parts {
			chunk := numElements(p.shape[axis:])
			out = append(out, p.konst.Int[o*chunk:(o+1)*chunk]...)
		}
	}
	return &onnxio.Tensor{DataType: onnxio.Int64, Dims: intsToDims(shape), Int: out}
}

func buildIdentity(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	return []*value{ins[0]}, nil
}

// buildDropout is the inference form: the identity, with an all-true mask.
func buildDropout(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	if len(ins) > 2 && ins[2] != nil {
		training, err := floatScalar(ins[2])
		if err != nil {
			return nil, fmt.Errorf("training_mode: %w", err)
		}
		if training != 0 {
			return nil, fmt.Errorf("training_mode is true; elight runs Dropout in inference mode only (export the model in eval mode)")
		}
	}
	if b.model.Opset < 7 && n.AttrInt("is_test", 0) == 0 {
		return nil, fmt.Errorf("is_test is 0; elight runs Dropout in inference mode only (export the model in eval mode)")
	}
	x := ins[0]
	mask := make([]int64, numElements(x.shape))
	for i := range mask {
		mask[i] = 1
	}
	return []*value{x, {shape: x.shape, konst: &onnxio.Tensor{DataType: onnxio.Bool, Dims: intsToDims(x.shape), Int: mask}}}, nil
}

func buildConstant(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	var t *onnxio.Tensor
	switch {
	case n.HasAttr("value"):
		t = n.Attrs["value"].Tensor
	case n.HasAttr("value_float"):
		t = &onnxio.Tensor{DataType: onnxio.Float, Float: []float32{n.AttrFloat("value_float", 0)}}
	case n.HasAttr("value_floats"):
		fs := n.Attrs["value_floats"].Floats
		t = &onnxio.Tensor{DataType: onnxio.Float, Dims: []int64{int64(len(fs))}, Float: fs}
	case n.HasAttr("value_int"):
		t = &onnxio.Tensor{DataType: onnxio.Int64, Int: []int64{n.AttrInt("value_int", 0)}}
	case n.HasAttr("value_ints"):
		is := n.AttrInts("value_ints", nil)
		t = &onnxio.Tensor{DataType: onnxio.Int64, Dims: []int64{int64(len(is))}, Int: is}
	}
	if t == nil {
		return nil, fmt.Errorf("no value attribute elight can read (value, value_float(s), value_int(s))")
	}
	return []*value{{shape: dimsToInts(t.Dims), konst: t}}, nil
}

func buildShape(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	shape := ins[0].shape
	rank := int64(len(shape))
	clampIndex := func(i int64) int64 {
		if i < 0 {
			i += rank
		}
		return min(max(i, 0), rank)
	}
	start, end := clampIndex(n.AttrInt("start", 0)), clampIndex(n.AttrInt("end", rank))
	dims := []int64{}
	for i := start; i < end; i++ {
		dims = append(dims, int64(shape[i]))
	}
	t := &onnxio.Tensor{DataType: onnxio.Int64, Dims: []int64{int64(len(dims))}, Int: dims}
	return []*value{{shape: []int{len(dims)}, konst: t}}, nil
}

func buildGather(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	data, indexes := ins[0], ins[1]
	if data.konst == nil || indexes.konst == nil {
		return nil, fmt.Errorf("elight evaluates Gather only on values known while building (shape computations); this one gathers computed data")
	}
	axis, err := normAxis(n.AttrInt("axis", 0), len(data.shape))
	if err != nil {
		return nil, err
	}
	idx, err := ints(indexes, "indices")
	if err != nil {
		return nil, err
	}
	outer, size, inner := numElements(data.shape[:axis]), data.shape[axis], numElements(data.shape[axis+1:])
	shape := append(append(append([]int{}, data.shape[:axis]...), indexes.shape...), data.shape[axis+1:]...)
	out := &onnxio.Tensor{DataType: data.konst.DataType, Dims: intsToDims(shape)}
	for o := 0; o < outer; o++ {
		for _, i := range idx {
			if i < 0 {
				i += int64(size)
			}
			if i < 0 || i >= int64(size) {
				return nil, fmt.Errorf("index %d is out of range for axis of size %d", i, size)
			}
			from := (o*size + int(i)) * inner
			if data.konst.DataType == onnxio.Float {
				out.Float = append(out.Float, data.konst.Float[from:from+inner]...)
			} else {
				out.Int = append(out.Int, data.konst.Int[from:from+inner]...)
			}
		}
	}
	return []*value{{shape: shape, konst: out}}, nil
}

// axesOf reads the axes of Unsqueeze and Squeeze: an attribute before opset
// 13, an input from 13 on.
func (b *builder) axesOf(n *onnxio.Node, ins []*value) ([]int64, error) {
	if b.model.Opset < 13 {
		return n.AttrInts("axes", nil), nil
	}
	if len(ins) < 2 || ins[1] == nil {
		return nil, nil
	}
	return ints(ins[1], "the axes input")
}

func buildUnsqueeze(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	axes, err := b.axesOf(n, ins)
	if err != nil {
		return nil, err
	}
	x := ins[0]
	rank := len(x.shape) + len(axes)
	inserted := make([]bool, rank)
	for _, a := range axes {
		ax, err := normAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if inserted[ax] {
			return nil, fmt.Errorf("axis %d appears twice", a)
		}
		inserted[ax] = true
	}
	shape := make([]int, 0, rank)
	next := 0
	for i := 0; i < rank; i++ {
		if inserted[i] {
			shape = append(shape, 1)
		} else {
			shape = append(shape, x.shape[next])
			next++
		}
	}
	out, err := b.reshaped(n.Inputs[0], x, shape)
	return []*value{out}, err
}

func buildSqueeze(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	axes, err := b.axesOf(n, ins)
	if err != nil {
		return nil, err
	}
	x := ins[0]
	drop := make([]bool, len(x.shape))
	for _, a := range axes {
		ax, err := normAxis(a, len(x.shape))
		if err != nil {
			return nil, err
		}
		if x.shape[ax] != 1 {
			return nil, fmt.Errorf("cannot squeeze axis %d of size %d", a, x.shape[ax])
		}
		drop[ax] = true
	}
	shape := []int{}
	for i, d := range x.shape {
		if !(drop[i] || len(axes) == 0 && d == 1) {
			shape = append(shape, d)
		}
	}
	out, err := b.reshaped(n.Inputs[0], x, shape)
	return []*value{out}, err
}

// buildCast converts between float and integer types. Computed values are
// float32 throughout, so only a cast to a float type can apply to them.
func buildCast(b *builder, n *onnxio.Node, ins []*value) ([]*value, error) {
	to := onnxio.DataType(n.AttrInt("to", 0))
	x := ins[0]
	toFloat := to == onnxio.Float || to == onnxio.Double
	if x.konst == nil {
		if !toFloat {
			return nil, fmt.Errorf("cast of computed data to %v: elight computes in float32 only", to)
		}
		return []*value{x}, nil
	}
	t := &onnxio.Tensor{DataType: to, Dims: x.konst.Dims}
	switch {
	case toFloat && x.konst.DataType == onnxio.Float:
		t.DataType, t.Float = onnxio.Float, x.konst.Float
	case toFloat:
		t.DataType = onnxio.Float
		for _, v := range x.konst.Int {
			t.Float = append(t.Float, float32(v))
		}
	case x.konst.DataType == onnxio.Float:
		for _, v := range x.konst.Float {
			t.Int = append(t.Int, int64(v))
		}
	default:
		t.Int = x.konst.Int
	}
	return []*value{{shape: x.shape, konst: t}}, nil
}
