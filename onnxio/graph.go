package onnxio

// Producer returns the node that outputs the value called name, or nil if
// it is a graph input, an initializer or unknown.
func (g *Graph) Producer(name string) *Node {
	if name == "" {
		return nil
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == name {
				return n
			}
		}
	}
	return nil
}

// Consumers returns the nodes that take the value called name as an input,
// in graph order, each once. Uses inside subgraphs of control-flow nodes are
// not seen.
func (g *Graph) Consumers(name string) []*Node {
	if name == "" {
		return nil
	}
	var out []*Node
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in == name {
				out = append(out, n)
				break
			}
		}
	}
	return out
}
