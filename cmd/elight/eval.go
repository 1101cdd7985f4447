package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/elight-photonic/elight"
	"github.com/elight-photonic/elight/finetune/data"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/spf13/pflag"
)

type evalFlags struct {
	data  dataFlags
	split string
	limit int
	batch int
	json  bool
}

func evalCommand() *command {
	var f evalFlags
	fs := pflag.NewFlagSet("eval", pflag.ContinueOnError)
	f.data.register(fs)
	fs.StringVar(&f.split, "split", data.Test, "which images to evaluate: test, train, or all (images and npy data)")
	fs.IntVar(&f.limit, "limit", 0, "evaluate only the first `N` images of the split (default: all)")
	fs.IntVar(&f.batch, "batch", 64, "images per forward pass")
	fs.BoolVar(&f.json, "json", false, `print {"top1": ACCURACY, "n": IMAGES, ...} as JSON`)
	c := &command{
		name:  "eval",
		usage: "MODEL.onnx --data SPEC [--split test] [--limit N] [--batch 64] [--pad N] [--resize HxW] [--channels C] [--mean m1,m2,m3] [--std s1,s2,s3] [--json]",
		short: "measure a model's top-1 accuracy on a labeled dataset",
		long: `
Eval runs MODEL.onnx forward in float32 on the labeled images of a dataset
split, --batch images at a time, and prints the top-1 accuracy: the fraction
of images whose largest logit (the first, on ties) is at the label's index.
The model's first output must be the logits [N, classes]. BatchNormalization
is folded into the preceding Conv/Gemm first, which gives the same numbers
faster.
` + dataSpecHelp,
		example: "\telight eval testdata/vgg8/vgg8_bnfold_op13.onnx --data idx:/usr/share/datasets/fashion-mnist \\\n" +
			"\t\t--pad 2 --channels 3 --mean 0.21899983286857605 --std 0.3318113684654236 --limit 1000",
		flags: fs,
	}
	c.run = func(ctx context.Context, args []string, stdout, _ io.Writer) error {
		return runEval(ctx, args, f, stdout)
	}
	return c
}

// evaluation is the result of elight eval; --json prints it.
type evaluation struct {
	Top1    float64 `json:"top1"`
	N       int     `json:"n"`
	Correct int     `json:"correct"`
	Model   string  `json:"model"`
	Data    string  `json:"data"`
	Split   string  `json:"split"`
}

func runEval(ctx context.Context, args []string, f evalFlags, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError("want exactly one MODEL.onnx argument, got %d", len(args))
	}
	if f.batch < 1 {
		return usageError("--batch %d: want at least 1 image", f.batch)
	}
	if f.limit < 0 {
		return usageError("--limit %d: want a positive number of images (0 for all)", f.limit)
	}
	if _, _, err := f.data.preprocess(); err != nil {
		return err
	}
	m, err := onnxio.Read(args[0])
	if err != nil {
		return err
	}
	if _, err := onnxio.FoldBatchNorm(m); err != nil {
		return err
	}
	in, err := imageInput(m)
	if err != nil {
		return err
	}
	d, p, err := f.data.open(in)
	if err != nil {
		return err
	}
	split, err := d.Split(f.split)
	if err != nil {
		return err
	}
	if f.limit > 0 {
		split = split.First(f.limit)
	}
	if !split.Labeled() {
		return fmt.Errorf("data %s has no labels to measure accuracy against; give npy:X.npy,Y.npy", d.Spec)
	}
	loader, err := data.NewLoader(split, p)
	if err != nil {
		return err
	}
	res := evaluation{Model: args[0], Data: d.Spec, Split: f.split}
	if res.Correct, res.N, err = elight.CountCorrect(ctx, m, in.Name, loader, f.batch); err != nil {
		return err
	}
	res.Top1 = float64(res.Correct) / float64(res.N)
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	_, err = fmt.Fprintf(stdout, "top-1 accuracy %.4f (%d of %d images correct; %s, %s)\n", res.Top1, res.Correct, res.N, res.Data, split.Name)
	return err
}
