package onnxio

import "fmt"

// HasAttr reports whether the node has an attribute called name, of any
// kind.
func (n *Node) HasAttr(name string) bool {
	_, ok := n.Attrs[name]
	return ok
}

// AttrInt returns the int attribute called name, or def if the node has no
// int attribute of that name.
func (n *Node) AttrInt(name string, def int64) int64 {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrInt {
		return a.Int
	}
	return def
}

// AttrInts returns the ints attribute called name, or def if the node has no
// ints attribute of that name. The result shares memory with the node.
func (n *Node) AttrInts(name string, def []int64) []int64 {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrInts {
		return a.Ints
	}
	return def
}

// AttrFloat returns the float attribute called name, or def if the node has
// no float attribute of that name.
func (n *Node) AttrFloat(name string, def float32) float32 {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrFloat {
		return a.Float
	}
	return def
}

// AttrString returns the string attribute called name, or def if the node
// has no string attribute of that name.
func (n *Node) AttrString(name string, def string) string {
	if a, ok := n.Attrs[name]; ok && a.Type == AttrString {
		return a.String
	}
	return def
}

// ConstantTensor returns the value of a Constant node, from whichever of its
// value, value_float, value_floats, value_int and value_ints attributes is
// set. It reports false for other nodes and for the string and sparse forms.
// A tensor built from a scalar or list attribute is named after the node's
// output.
func (n *Node) ConstantTensor() (*Tensor, bool) {
	if n.OpType != "Constant" || (n.Domain != "" && n.Domain != "ai.onnx") {
		return nil, false
	}
	name := ""
	if len(n.Outputs) > 0 {
		name = n.Outputs[0]
	}
	if a, ok := n.Attrs["value"]; ok && a.Type == AttrTensor && a.Tensor != nil {
		return a.Tensor, true
	}
	if a, ok := n.Attrs["value_float"]; ok && a.Type == AttrFloat {
		return &Tensor{Name: name, DataType: Float, Dims: []int64{}, Float: []float32{a.Float}}, true
	}
	if a, ok := n.Attrs["value_floats"]; ok && a.Type == AttrFloats {
		return &Tensor{Name: name, DataType: Float, Dims: []int64{int64(len(a.Floats))}, Float: a.Floats}, true
	}
	if a, ok := n.Attrs["value_int"]; ok && a.Type == AttrInt {
		return &Tensor{Name: name, DataType: Int64, Dims: []int64{}, Int: []int64{a.Int}}, true
	}
	if a, ok := n.Attrs["value_ints"]; ok && a.Type == AttrInts {
		return &Tensor{Name: name, DataType: Int64, Dims: []int64{int64(len(a.Ints))}, Int: a.Ints}, true
	}
	return nil, false
}

// label names the node for error messages: by its name, or by its position
// in the file when it has none.
func (n *Node) label(index int) string {
	if n.Name != "" {
		return fmt.Sprintf("node %q (%s)", n.Name, n.OpType)
	}
	return fmt.Sprintf("node #%d (%s)", index, n.OpType)
}
