package reorder_test

import (
	"fmt"

	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
)

// Cut a quantized 2 x 6 layer into 2 x 2 blocks (one core, three blocks in
// turn) and count the writes of every programming order.
func ExamplePlanAll() {
	w := []float32{
		0.9, -0.1, 0.1, 0.8, 0.9, -0.2,
		-0.5, 0.5, -0.4, 0.4, -0.5, 0.6,
	}
	lv, err := quantize.Quantize(w, 2, 6, quantize.Config{Bits: 2, PCMLoss: 0.128})
	if err != nil {
		panic(err)
	}
	layer, err := reorder.Partition(lv, 2)
	if err != nil {
		panic(err)
	}
	for _, order := range reorder.PlanAll(layer) {
		st, err := reorder.Account(layer, order, reorder.DefaultProfile())
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-6s %2d writes, most-written cell %d\n", order.Strategy, st.Writes, st.MaxCellWrites)
	}
	// Output:
	// none   24 writes, most-written cell 9
	// sort   13 writes, most-written cell 5
	// cell   12 writes, most-written cell 5
	// column 13 writes, most-written cell 5
	// block  14 writes, most-written cell 7
}
