package elight_test

import (
	"context"
	"fmt"
	"os"

	"github.com/elight-photonic/elight"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
)

// Quantize the testdata ResNet to 4-bit PCM levels for 64 x 64 cores
// without fine-tuning, then verify the schedule against the annotated model.
func ExampleOptimize() {
	path := "testdata/resnet/resnet_bnfold_op13.onnx"
	source, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	res, err := elight.Optimize(context.Background(), elight.Run{
		Source: source, Path: path,
		Hardware: elight.Hardware{
			Quant: quantize.Config{Bits: 4, PCMLoss: 0.128}, Block: 64,
			Strategy: reorder.Cell, Profile: reorder.DefaultProfile(),
		},
	})
	if err != nil {
		panic(err)
	}
	writes := res.Report.Totals.Writes
	fmt.Printf("writes: none %d, cell %d\n", writes.None, writes.Cell)

	model, schedule, _, err := res.Encode()
	if err != nil {
		panic(err)
	}
	annotated, err := onnxio.Parse(model, "")
	if err != nil {
		panic(err)
	}
	layers, total, err := elight.Verify(annotated, schedule, res.Report)
	if err != nil {
		panic(err)
	}
	fmt.Printf("verified %d layers, %d writes\n", len(layers), total.Writes)
	// Output:
	// writes: none 2402252, cell 830884
	// verified 10 layers, 830884 writes
}
