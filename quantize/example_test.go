package quantize_test

import (
	"fmt"

	"github.com/elight-photonic/elight/quantize"
)

// Quantize a 2 x 3 weight matrix to the 4 levels of 2-bit PCM cells: the
// signed level of each weight and the weight it stands for.
func ExampleQuantize() {
	w := []float32{
		0.8, -0.4, 0.05,
		-0.8, 0.2, 0,
	}
	lv, err := quantize.Quantize(w, 2, 3, quantize.Config{Bits: 2, PCMLoss: 0.128})
	if err != nil {
		panic(err)
	}
	fmt.Println("levels:", lv.Signed)
	fmt.Printf("weights: %.3f\n", lv.Dequantized())
	// Output:
	// levels: [3 -2 0 -3 1 0]
	// weights: [0.800 -0.496 0.000 -0.800 0.231 0.000]
}

// Quantize one row of weights at one scale, the row's largest magnitude,
// as a training loop does on every step: the levels and, for the forward
// pass, the weights they stand for.
func ExampleQuantizer_QuantizeRow() {
	q, err := quantize.NewQuantizer(quantize.Config{Bits: 2, PCMLoss: 0.128})
	if err != nil {
		panic(err)
	}
	w := []float32{0.8, -0.4, 0.05, -0.8, 0.2, 0}
	levels, deq := make([]int16, len(w)), make([]float32, len(w))
	q.QuantizeRow(levels, deq, w, 0.8)
	fmt.Println("levels:", levels)
	fmt.Printf("weights: %.3f\n", deq)
	// Output:
	// levels: [3 -2 0 -3 1 0]
	// weights: [0.800 -0.496 0.000 -0.800 0.231 0.000]
}
