package finetune

import (
	"maps"

	"github.com/elight-photonic/elight/onnxio"
)

// floatCopy returns a copy of m that keeps the initializers m has now:
// the model's float weights, for a distillation teacher built later.
// Store gives m new initializer tensors rather than writing into the old
// ones, so the copy shares them without copying their data; it shares
// everything else with m too and is only read.
func floatCopy(m *onnxio.Model) *onnxio.Model {
	c := *m
	g := *m.Graph
	g.Initializers = maps.Clone(m.Graph.Initializers)
	c.Graph = &g
	return &c
}
