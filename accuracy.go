package elight

import (
	"context"
	"fmt"

	"github.com/elight-photonic/elight/finetune/data"
	"github.com/elight-photonic/elight/finetune/network"
	"github.com/elight-photonic/elight/onnxio"
)

// Images are the labeled images an optimize run measures accuracy on and,
// when it fine-tunes, trains with.
type Images struct {
	// Spec names the dataset, for the report.
	Spec string
	// Input is the model input the images feed.
	Input string
	// Test measures the accuracy the report records; it never steers
	// training.
	Test *data.Loader
	// Train is what fine-tuning trains on; nil without fine-tuning.
	Train *data.Loader
	// Validation holds training images out of Train: the search decides
	// on them. nil when nothing is held out.
	Validation *data.Loader
	// Batch is the number of images per forward pass and training step.
	Batch int
}

// TopOne returns m's top-1 accuracy on the images of loader, batch
// images at a time, feeding the model input named input.
func TopOne(ctx context.Context, m *onnxio.Model, input string, loader *data.Loader, batch int) (float64, error) {
	correct, n, err := CountCorrect(ctx, m, input, loader, batch)
	if err != nil {
		return 0, err
	}
	return float64(correct) / float64(n), nil
}

// CountCorrect runs m on every image of loader and counts the images
// whose largest logit (the first, on ties) is at the label's index. The
// model's first output must be the logits [N, classes].
func CountCorrect(ctx context.Context, m *onnxio.Model, input string, loader *data.Loader, batch int) (correct, n int, err error) {
	nets := map[int]*network.Net{} // one per batch size: the full one and the rest
	split := loader.Split()
	for b := range loader.Batches(batch) {
		if ctx.Err() != nil {
			return 0, 0, fmt.Errorf("interrupted after %d of %d images", n, loader.Len())
		}
		inputs := map[string]*onnxio.Tensor{input: b.Tensor(input)}
		net := nets[b.Len()]
		if net == nil {
			if net, err = network.Build(m, inputs, network.Options{FixedWeights: true}); err != nil {
				return 0, 0, err
			}
			nets[b.Len()] = net
		}
		outs, err := net.Run(inputs)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", m.Path, err)
		}
		c, err := countBatch(outs[0], b, split.Name)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", m.Path, err)
		}
		correct += c
		n += b.Len()
	}
	return correct, n, nil
}

// countBatch counts the rows of logits [N, classes] whose arg-max (the
// first, on ties) is the batch's label.
func countBatch(logits *onnxio.Tensor, b *data.Batch, split string) (int, error) {
	n := b.Len()
	if logits.DataType != onnxio.Float || len(logits.Dims) != 2 || logits.Dims[0] != int64(n) || logits.Dims[1] < 1 {
		return 0, fmt.Errorf("output %q is %v %v; accuracy needs the logits [%d, classes] as the first output", logits.Name, logits.DataType, logits.Dims, n)
	}
	classes := int(logits.Dims[1])
	correct := 0
	for i := range n {
		if label := b.Labels[i]; label >= int64(classes) {
			return 0, fmt.Errorf("image %d of the %s split has label %d, but the model has %d classes", b.Index[i], split, label, classes)
		}
		row := logits.Float[i*classes : (i+1)*classes]
		top := 0
		for c, v := range row {
			if v > row[top] {
				top = c
			}
		}
		if int64(top) == b.Labels[i] {
			correct++
		}
	}
	return correct, nil
}
