package finetune_test

import (
	"context"
	"fmt"

	"github.com/elight-photonic/elight/finetune"
	"github.com/elight-photonic/elight/finetune/data"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
)

// Fine-tune the testdata ResNet with the cell write loss on its reference
// images, in two segments of 10 steps at lambda 1 and 2.
func ExampleTrainSchedule() {
	m, err := onnxio.Read("../testdata/resnet/resnet_bnfold_op13.onnx")
	if err != nil {
		panic(err)
	}
	d, err := data.Open("npy:../testdata/resnet/input.npy,../testdata/resnet/labels.npy", data.Options{Holdout: 0.25})
	if err != nil {
		panic(err)
	}
	train, err := d.Split(data.Train)
	if err != nil {
		panic(err)
	}
	loader, err := data.NewLoader(train, data.Preprocess{})
	if err != nil {
		panic(err)
	}
	batches, err := data.NewStream(loader, 8, 1, true)
	if err != nil {
		panic(err)
	}
	cfg := finetune.Config{
		Quant: quantize.Config{Bits: 4, PCMLoss: 0.128}, Block: 64, Norm: finetune.Cell,
		Optimizer: "adam", LR: 1e-3, Schedule: "cosine", Warmup: 2, Steps: 10, BatchSize: 8,
	}
	var first, last int64
	err = finetune.TrainSchedule(context.Background(), m, batches, cfg, []float64{1, 2}, func(p finetune.Progress) {
		if first == 0 {
			first = p.CellWrites
		}
		last = p.CellWrites
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("the cell order's writes fell:", last < first)
	// Output:
	// the cell order's writes fell: true
}
