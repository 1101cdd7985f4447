package onnxio

import (
	"container/heap"
	"errors"
	"fmt"
)

// sortNodes checks that the graph is well formed and returns its nodes in
// topological order. defined holds the graph inputs and initializers.
//
// Every value must be defined exactly once, by a graph input, an
// initializer or one node output, and every node input must be defined
// somewhere. Nodes already in order keep that order, so a sorted file reads
// back unchanged; otherwise the earliest node in file order whose inputs are
// ready comes first.
func sortNodes(nodes []*Node, defined map[string]bool) ([]*Node, error) {
	producer := make(map[string]int)
	for i, n := range nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue // an omitted optional output
			}
			if defined[o] {
				return nil, fmt.Errorf("%s output %q: already a graph input or initializer", n.label(i), o)
			}
			if j, dup := producer[o]; dup {
				return nil, fmt.Errorf("%s output %q: already produced by %s", n.label(i), o, nodes[j].label(j))
			}
			producer[o] = i
		}
	}

	// Kahn's algorithm, taking the lowest file position among the ready
	// nodes each time.
	waiting := make([]int, len(nodes)) // inputs not yet produced
	users := make([][]int, len(nodes))
	for i, n := range nodes {
		for _, in := range n.Inputs {
			if in == "" || defined[in] {
				continue
			}
			j, ok := producer[in]
			if !ok {
				return nil, fmt.Errorf("%s input %q: no initializer, graph input or node produces it", n.label(i), in)
			}
			waiting[i]++
			users[j] = append(users[j], i)
		}
	}
	var ready intHeap
	for i, w := range waiting {
		if w == 0 {
			ready = append(ready, i)
		}
	}
	heap.Init(&ready)
	sorted := make([]*Node, 0, len(nodes))
	for ready.Len() > 0 {
		i := heap.Pop(&ready).(int)
		sorted = append(sorted, nodes[i])
		for _, u := range users[i] {
			if waiting[u]--; waiting[u] == 0 {
				heap.Push(&ready, u)
			}
		}
	}
	if len(sorted) < len(nodes) {
		i := inCycle(nodes, producer, waiting)
		return nil, fmt.Errorf("%s: nodes form a cycle through its inputs", nodes[i].label(i))
	}
	return sorted, nil
}

// inCycle returns a node on a cycle, given the waiting counts Kahn's
// algorithm left behind. Every node still waiting has an input from another
// waiting node, so walking from input to producer must come back to a node
// already seen; that node is on a cycle, whereas the first waiting node may
// merely depend on one.
func inCycle(nodes []*Node, producer map[string]int, waiting []int) int {
	i := 0
	for waiting[i] == 0 {
		i++
	}
	seen := make(map[int]bool)
	for !seen[i] {
		seen[i] = true
		for _, in := range nodes[i].Inputs {
			if j, ok := producer[in]; ok && waiting[j] > 0 {
				i = j
				break
			}
		}
	}
	return i
}

// checkOutputs checks that every graph output names a value of the graph.
func checkOutputs(outputs []ValueInfo, defined map[string]bool, nodes []*Node) error {
	produced := make(map[string]bool)
	for _, n := range nodes {
		for _, o := range n.Outputs {
			produced[o] = true
		}
	}
	for _, o := range outputs {
		if o.Name == "" {
			return errors.New("graph output with no name")
		}
		if !defined[o.Name] && !produced[o.Name] {
			return fmt.Errorf("graph output %q: no initializer, graph input or node produces it", o.Name)
		}
	}
	return nil
}

// intHeap is a min-heap of node positions.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
