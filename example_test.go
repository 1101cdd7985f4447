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

// Quantize the testdata ResNet to 4-bit PCM levels for a chip of eight
// 64 x 64 cores without fine-tuning, then verify the schedule against the
// annotated model.
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
			Strategy: reorder.Cell, Profile: reorder.DefaultProfile(), Cores: 8,
		},
	})
	if err != nil {
		panic(err)
	}
	writes := res.Report.Totals.Writes
	fmt.Printf("writes: none %d, cell %d\n", writes.None, writes.Cell)
	chip := res.Report.Chip
	fmt.Printf("on 8 cores, most-written cell: naive %d, levelled %d\n", chip.Naive.MaxCellWrites.Cell, chip.Levelled.MaxCellWrites.Cell)

	model, schedule, _, err := res.Encode()
	if err != nil {
		panic(err)
	}
	annotated, err := onnxio.Parse(model, "")
	if err != nil {
		panic(err)
	}
	v, err := elight.Verify(annotated, schedule, res.Report)
	if err != nil {
		panic(err)
	}
	fmt.Printf("verified %d layers, %d writes; the chip's steady state, %d writes\n", len(v.Layers), v.Total.Writes, v.Chip.Writes)
	// Output:
	// writes: none 2402252, cell 830884
	// on 8 cores, most-written cell: naive 324, levelled 76
	// verified 10 layers, 830884 writes; the chip's steady state, 1126772 writes
}
