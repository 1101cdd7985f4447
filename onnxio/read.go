package onnxio

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// Read reads the ONNX model in the file path. External data is looked up
// relative to the file's folder. Errors start with path.
func Read(path string) (*Model, error) {
	data, release, err := MapFile(path)
	if err != nil {
		return nil, err
	}
	// the model copies what it keeps: nothing refers to data after parse
	defer release()
	return parse(data, filepath.Dir(path), path)
}

// Parse decodes an ONNX model from data. External data is looked up
// relative to dir, or to the current folder if dir is empty. The Model's
// Path is empty.
//
// Parse checks the model as described in the package documentation and
// sorts the nodes topologically if the file does not list them in order.
func Parse(data []byte, dir string) (*Model, error) {
	return parse(data, dir, "")
}

// parse is Parse for a model read from path, which prefixes its errors.
func parse(data []byte, dir, path string) (*Model, error) {
	m, err := decode(data, dir)
	if err != nil {
		if path != "" {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	m.Path = path
	return m, nil
}

// decode does the work of Parse.
func decode(data []byte, dir string) (*Model, error) {
	stripped, raws, ok := stripRaw(data)
	if !ok {
		stripped, raws = data, nil
	}
	mp := new(onnxpb.ModelProto)
	if err := proto.Unmarshal(stripped, mp); err != nil {
		return nil, fmt.Errorf("not an ONNX model: %w", err)
	}
	opset, err := defaultOpset(mp.GetOpsetImport())
	if err != nil {
		return nil, err
	}
	if mp.GetGraph() == nil {
		return nil, errors.New("model has no graph")
	}
	fromIR := make(map[string]bool)
	g, err := decodeGraph(mp.GetGraph(), raws, fromIR, dir)
	if err != nil {
		return nil, err
	}
	return &Model{Opset: opset, Graph: g, DataFiles: dataFiles(mp.GetGraph(), dir), proto: mp, changed: make(map[string]bool), fromIR: fromIR}, nil
}

// dataFiles returns the external-data files gp's initializers were read
// from, relative to dir, sorted and each once.
func dataFiles(gp *onnxpb.GraphProto, dir string) []string {
	seen := map[string]bool{}
	var files []string
	for _, tp := range gp.GetInitializer() {
		if tp.GetDataLocation() != onnxpb.TensorProto_EXTERNAL {
			continue
		}
		for _, kv := range tp.GetExternalData() {
			if kv.GetKey() != "location" {
				continue
			}
			// decode has checked that the location is inside dir
			f := filepath.Join(dir, filepath.FromSlash(kv.GetValue()))
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	return files
}

// defaultOpset returns the version of the default operator set, which
// decides the semantics of every standard operator.
func defaultOpset(imports []*onnxpb.OperatorSetIdProto) (int64, error) {
	var version int64
	for _, o := range imports {
		if !isDefaultDomain(o.GetDomain()) {
			continue
		}
		if version != 0 && o.GetVersion() != version {
			return 0, fmt.Errorf("opset_import lists the default domain twice, as versions %d and %d",
				version, o.GetVersion())
		}
		version = o.GetVersion()
	}
	if version <= 0 {
		return 0, errors.New(`opset_import has no version for the default domain ("" or "ai.onnx")`)
	}
	return version, nil
}

// isDefaultDomain reports whether domain names the standard ONNX operators.
func isDefaultDomain(domain string) bool { return domain == "" || domain == "ai.onnx" }

// decodeGraph converts and checks the main graph. raws, when not nil, holds
// the raw_data stripRaw left out of gp's initializers (nil for those it
// kept), and fromIR gets the names of those initializers.
func decodeGraph(gp *onnxpb.GraphProto, raws [][]byte, fromIR map[string]bool, dir string) (*Graph, error) {
	if len(gp.GetSparseInitializer()) > 0 {
		return nil, errors.New("sparse initializers are not supported")
	}
	g := &Graph{Name: gp.GetName(), Initializers: make(map[string]*Tensor)}
	for i, tp := range gp.GetInitializer() {
		name := tp.GetName()
		if name == "" {
			return nil, fmt.Errorf("initializer #%d has no name", i)
		}
		if _, dup := g.Initializers[name]; dup {
			return nil, fmt.Errorf("initializer %q is listed twice", name)
		}
		raw := tp.GetRawData()
		if i < len(raws) && raws[i] != nil {
			raw = raws[i]
			fromIR[name] = true
		}
		t, err := decodeTensorRaw(tp, raw, dir)
		if err != nil {
			return nil, fmt.Errorf("initializer %q: %w", name, err)
		}
		g.Initializers[name] = t
	}

	defined := make(map[string]bool, len(gp.GetInput())+len(g.Initializers))
	for i, vi := range gp.GetInput() {
		name := vi.GetName()
		if name == "" {
			return nil, fmt.Errorf("graph input #%d has no name", i)
		}
		if defined[name] {
			return nil, fmt.Errorf("graph input %q is listed twice", name)
		}
		defined[name] = true
		// Exporters before IR version 4 list every initializer as an input
		// too; those are weights, not values the caller feeds.
		if _, ok := g.Initializers[name]; ok {
			continue
		}
		v, err := valueInfoFromProto(vi)
		if err != nil {
			return nil, fmt.Errorf("graph input %q: %w", name, err)
		}
		g.Inputs = append(g.Inputs, v)
	}
	for name := range g.Initializers {
		defined[name] = true
	}

	nodes := make([]*Node, len(gp.GetNode()))
	for i, np := range gp.GetNode() {
		n, err := decodeNode(np, dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.label(i), err)
		}
		nodes[i] = n
	}
	var err error
	if g.Nodes, err = sortNodes(nodes, defined); err != nil {
		return nil, err
	}

	for _, vi := range gp.GetOutput() {
		v, err := valueInfoFromProto(vi)
		if err != nil {
			return nil, fmt.Errorf("graph output %q: %w", vi.GetName(), err)
		}
		g.Outputs = append(g.Outputs, v)
	}
	if err := checkOutputs(g.Outputs, defined, g.Nodes); err != nil {
		return nil, err
	}
	return g, nil
}

// decodeNode converts one node. The returned node is never nil, so that a
// caller can label an error with it.
func decodeNode(np *onnxpb.NodeProto, dir string) (*Node, error) {
	n := &Node{
		Name:    np.GetName(),
		OpType:  np.GetOpType(),
		Domain:  np.GetDomain(),
		Inputs:  append([]string{}, np.GetInput()...),
		Outputs: append([]string{}, np.GetOutput()...),
		Attrs:   make(map[string]Attribute, len(np.GetAttribute())),
		proto:   np,
	}
	if n.OpType == "" {
		return n, errors.New("node has no op_type")
	}
	for _, pa := range np.GetAttribute() {
		name := pa.GetName()
		if name == "" {
			return n, errors.New("attribute with no name")
		}
		if _, dup := n.Attrs[name]; dup {
			return n, fmt.Errorf("attribute %q is listed twice", name)
		}
		a, err := attrFromProto(pa, dir)
		if err != nil {
			return n, fmt.Errorf("attribute %q: %w", name, err)
		}
		n.Attrs[name] = a
	}
	return n, nil
}
