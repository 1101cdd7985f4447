package onnxio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// Write encodes m as an ONNX file at path. Errors start with path.
//
// Everything of the file m was read from that the IR does not model is kept:
// doc strings, metadata, value_info, producer, fields unknown to this
// version of ONNX. Where the IR still says what the file said, the file's
// encoding is kept too, so unchanged initializers keep their typed fields.
// Initializers marked by SetInitializer, new ones and those the file kept as
// external data are written inline in raw_data, so the output needs no other
// file, unless the weights are too large for one protobuf message (2 GiB):
// they are then written to path + ".data" as ONNX external data (see
// Streams), both files or neither. Initializers no longer in the graph are
// dropped, together with their graph input and value_info entries, as are
// value_info entries of values that no longer exist.
//
// The graph is checked as Parse would check it and the nodes are written in
// topological order. The same model is always encoded to the same bytes.
// The file is replaced atomically: readers see either the old or the new
// file. Write refuses to overwrite the file m was read from or its
// external-data files (Model.DataFiles).
func Write(path string, m *Model) error {
	if m == nil {
		return fmt.Errorf("%s: no model to write", path)
	}
	return WriteStreamsAtomic(Streams(path, m, nil), m.Inputs()...)
}

// Inputs returns the files m was read from: Path, when set, and DataFiles.
// Outputs must not replace them.
func (m *Model) Inputs() []string {
	var in []string
	if m.Path != "" {
		in = append(in, m.Path)
	}
	return append(in, m.DataFiles...)
}

// Marshal encodes m as Write does, for callers that write several files as
// one (see WriteFilesAtomic) or need the bytes' digest first.
func Marshal(m *Model) ([]byte, error) {
	var buf bytes.Buffer
	if err := MarshalTo(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MarshalTo encodes m to w as Write does, streaming the FLOAT initializers'
// elements from the IR: no copy of the model's weights is made, so a model
// of gigabytes is written in little more memory than its IR holds. w sees
// the bytes Marshal returns. A model whose weights are too large for one
// protobuf message (see ExternalDataPath) is refused: Write and Streams
// write it with a data file.
func MarshalTo(w io.Writer, m *Model) error {
	if m == nil {
		return errors.New("no model to encode")
	}
	if m.needsExternal() {
		return errTooLarge
	}
	mp, floats, err := m.encode()
	if err != nil {
		return err
	}
	return marshalTo(w, mp, floats, nil)
}

// encode builds the ModelProto Write marshals, from a copy of the proto m
// was read from so that m itself is left as it is. The FLOAT initializers
// in floats have no raw_data: it is to be written from the floats they map
// to.
func (m *Model) encode() (*onnxpb.ModelProto, map[*onnxpb.TensorProto][]float32, error) {
	if m.Graph == nil {
		return nil, nil, errors.New("model has no graph")
	}
	if m.Opset <= 0 {
		return nil, nil, fmt.Errorf("opset %d is not a valid version", m.Opset)
	}
	// The proto holds no plain weights (the parse left their raw_data
	// out), so this copy is small.
	mp := new(onnxpb.ModelProto)
	if m.proto != nil {
		mp = proto.Clone(m.proto).(*onnxpb.ModelProto)
	}
	if mp.IrVersion == 0 {
		mp.IrVersion = irVersion(m.Opset)
	}
	setOpset(mp, m.Opset)
	if mp.Graph == nil {
		mp.Graph = new(onnxpb.GraphProto)
	}
	floats := make(map[*onnxpb.TensorProto][]float32)
	if err := encodeGraph(mp.Graph, m.Graph, m.changed, m.fromIR, floats); err != nil {
		return nil, nil, err
	}
	return mp, floats, nil
}

// setOpset makes the default domain's opset_import entry say version.
func setOpset(mp *onnxpb.ModelProto, version int64) {
	found := false
	for _, o := range mp.OpsetImport {
		if isDefaultDomain(o.GetDomain()) {
			o.Version = version
			found = true
		}
	}
	if !found {
		mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Version: version})
	}
}

// irVersion returns the IR version of the ONNX release that introduced
// opset, for models built from scratch; it is the oldest IR version that
// runtimes supporting the opset are sure to accept.
func irVersion(opset int64) int64 {
	for _, r := range []struct{ opset, ir int64 }{
		{23, 11}, {21, 10}, {19, 9}, {15, 8}, {12, 7}, {11, 6}, {10, 5}, {9, 4},
	} {
		if opset >= r.opset {
			return r.ir
		}
	}
	return 3
}

// encodeGraph rewrites gp, a copy of the graph proto the IR g was read
// from, to say what g says.
func encodeGraph(gp *onnxpb.GraphProto, g *Graph, changed, fromIR map[string]bool, floats map[*onnxpb.TensorProto][]float32) error {
	defined, err := checkIR(g)
	if err != nil {
		return err
	}
	nodes, err := sortNodes(g.Nodes, defined)
	if err != nil {
		return err
	}
	if err := checkOutputs(g.Outputs, defined, nodes); err != nil {
		return err
	}

	gp.Name = g.Name
	if err := encodeInitializers(gp, g.Initializers, changed, fromIR, floats); err != nil {
		return err
	}
	gp.Input = encodeInputs(gp.Input, g)
	gp.Output = encodeValueInfos(gp.Output, g.Outputs)

	gp.Node = make([]*onnxpb.NodeProto, len(nodes))
	for i, n := range nodes {
		if gp.Node[i], err = encodeNode(n); err != nil {
			return fmt.Errorf("%s: %w", n.label(i), err)
		}
	}

	// value_info describes intermediate values; an entry for a value a pass
	// removed would describe nothing, or a different value that reuses the
	// name later.
	for _, n := range nodes {
		for _, o := range n.Outputs {
			defined[o] = true
		}
	}
	gp.ValueInfo = slices.DeleteFunc(gp.ValueInfo, func(vi *onnxpb.ValueInfoProto) bool {
		return !defined[vi.GetName()]
	})
	return nil
}

// checkIR checks what Parse checks on the parts of g a pass can break
// without breaking the node order, and returns the names of the graph
// inputs and initializers.
func checkIR(g *Graph) (map[string]bool, error) {
	defined := make(map[string]bool, len(g.Inputs)+len(g.Initializers))
	for name, t := range g.Initializers {
		if t == nil || t.Name != name {
			return nil, fmt.Errorf("initializer %q: Initializers must map a tensor's name to the tensor", name)
		}
		defined[name] = true
	}
	for i, v := range g.Inputs {
		if v.Name == "" {
			return nil, fmt.Errorf("graph input #%d has no name", i)
		}
		if defined[v.Name] {
			return nil, fmt.Errorf("graph input %q is listed twice or is also an initializer", v.Name)
		}
		defined[v.Name] = true
	}
	for i, n := range g.Nodes {
		if n == nil {
			return nil, fmt.Errorf("node #%d is nil", i)
		}
	}
	return defined, nil
}

// encodeInitializers rewrites gp's initializers to match inits, keeping the
// file's encoding of the tensors that did not change. Those in fromIR are
// encoded from the IR whether or not they changed: with nothing but a
// name, a shape, a doc string and raw_data, their encoding is the file's
// where the IR is. FLOAT tensors encoded anew go in floats, with their
// elements, and without raw_data.
func encodeInitializers(gp *onnxpb.GraphProto, inits map[string]*Tensor, changed, fromIR map[string]bool, floats map[*onnxpb.TensorProto][]float32) error {
	kept := make([]*onnxpb.TensorProto, 0, len(inits))
	inFile := make(map[string]bool, len(gp.Initializer))
	removed := make(map[string]bool)
	for _, tp := range gp.Initializer {
		name := tp.GetName()
		t, ok := inits[name]
		if !ok {
			removed[name] = true
			continue
		}
		inFile[name] = true
		if !changed[name] && !fromIR[name] && tp.GetDataLocation() != onnxpb.TensorProto_EXTERNAL {
			// A pass may have edited the tensor in place rather than
			// through SetInitializer; decoding the file's copy again
			// catches that.
			if old, err := decodeTensor(tp, ""); err == nil && equalTensor(old, t) {
				kept = append(kept, tp)
				continue
			}
		}
		enc, err := encodeTensorHeader(t)
		if err != nil {
			return fmt.Errorf("initializer %q: %w", name, err)
		}
		enc.DocString = tp.GetDocString()
		if t.DataType == Float {
			floats[enc] = t.Float
		}
		kept = append(kept, enc)
	}
	var added []string
	for name := range inits {
		if !inFile[name] {
			added = append(added, name)
		}
	}
	slices.Sort(added) // map order would make the output differ run to run
	for _, name := range added {
		t := inits[name]
		enc, err := encodeTensorHeader(t)
		if err != nil {
			return fmt.Errorf("initializer %q: %w", name, err)
		}
		if t.DataType == Float {
			floats[enc] = t.Float
		}
		kept = append(kept, enc)
	}
	gp.Initializer = kept
	gp.ValueInfo = slices.DeleteFunc(gp.ValueInfo, func(vi *onnxpb.ValueInfoProto) bool {
		return removed[vi.GetName()]
	})
	return nil
}

// encodeInputs returns the graph inputs for g: its runtime inputs, plus the
// entries the file had for initializers that remain. The file's order is
// kept if g lists the runtime inputs in the file's order; otherwise g's
// order comes first, then the initializer entries.
func encodeInputs(file []*onnxpb.ValueInfoProto, g *Graph) []*onnxpb.ValueInfoProto {
	isInput := make(map[string]bool, len(g.Inputs))
	for _, v := range g.Inputs {
		isInput[v.Name] = true
	}
	var fileOrder []string
	for _, vi := range file {
		if isInput[vi.GetName()] {
			fileOrder = append(fileOrder, vi.GetName())
		}
	}
	sameOrder := len(fileOrder) == len(g.Inputs)
	for i := 0; sameOrder && i < len(fileOrder); i++ {
		sameOrder = fileOrder[i] == g.Inputs[i].Name
	}

	runtime := encodeValueInfos(file, g.Inputs)
	out := make([]*onnxpb.ValueInfoProto, 0, len(file)+len(g.Inputs))
	next := 0
	if !sameOrder {
		out = append(out, runtime...)
	}
	for _, vi := range file {
		switch {
		case isInput[vi.GetName()] && sameOrder:
			out = append(out, runtime[next])
			next++
		case !isInput[vi.GetName()] && g.Initializers[vi.GetName()] != nil:
			out = append(out, vi)
		}
	}
	return out
}

// encodeValueInfos returns protos for vs, reusing the entry of the same name
// in file where it still says the same.
func encodeValueInfos(file []*onnxpb.ValueInfoProto, vs []ValueInfo) []*onnxpb.ValueInfoProto {
	byName := make(map[string]*onnxpb.ValueInfoProto, len(file))
	for _, vi := range file {
		byName[vi.GetName()] = vi
	}
	out := make([]*onnxpb.ValueInfoProto, len(vs))
	for i, v := range vs {
		if vi := byName[v.Name]; vi != nil {
			if old, err := valueInfoFromProto(vi); err == nil && equalValueInfo(old, v) {
				out[i] = vi
				continue
			}
			out[i] = valueInfoToProto(v)
			out[i].DocString = vi.GetDocString()
			continue
		}
		out[i] = valueInfoToProto(v)
	}
	return out
}

// encodeNode builds the proto of n. A node read from a file keeps its proto,
// with names, inputs and outputs from the IR and attributes re-encoded only
// where the IR changed them.
func encodeNode(n *Node) (*onnxpb.NodeProto, error) {
	np := new(onnxpb.NodeProto)
	if n.proto != nil {
		np = proto.Clone(n.proto).(*onnxpb.NodeProto)
	}
	np.Name, np.OpType, np.Domain = n.Name, n.OpType, n.Domain
	np.Input = slices.Clone(n.Inputs)
	np.Output = slices.Clone(n.Outputs)

	attrs := make([]*onnxpb.AttributeProto, 0, len(n.Attrs))
	inFile := make(map[string]bool, len(np.Attribute))
	for _, pa := range np.Attribute {
		a, ok := n.Attrs[pa.GetName()]
		if !ok {
			continue // removed by a pass
		}
		inFile[pa.GetName()] = true
		if a.Type == AttrUndefined {
			attrs = append(attrs, pa) // a kind the IR does not interpret
			continue
		}
		// Tensors the file kept as external data are inlined, like
		// initializers.
		if pa.GetT().GetDataLocation() != onnxpb.TensorProto_EXTERNAL {
			if old, err := attrFromProto(pa, ""); err == nil && equalAttr(old, a) {
				attrs = append(attrs, pa)
				continue
			}
		}
		enc, err := attrToProto(pa.GetName(), a)
		if err != nil {
			return nil, err
		}
		enc.DocString = pa.GetDocString()
		attrs = append(attrs, enc)
	}
	var added []string
	for name := range n.Attrs {
		if !inFile[name] {
			added = append(added, name)
		}
	}
	slices.Sort(added)
	for _, name := range added {
		enc, err := attrToProto(name, n.Attrs[name])
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, enc)
	}
	np.Attribute = attrs
	return np, nil
}
