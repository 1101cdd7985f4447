package main

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/elight-photonic/elight/finetune/network"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/spf13/pflag"
)

type runFlags struct {
	inputs  []string
	outputs []string
	foldBN  bool
}

func runCommand() *command {
	var f runFlags
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.StringArrayVarP(&f.inputs, "input", "i", nil, "input tensor file, `[NAME=]PATH` (.npy or ONNX TensorProto .pb); repeat for each graph input; NAME may be left out when the model has one input")
	fs.StringArrayVarP(&f.outputs, "output", "o", nil, "where to write an output tensor as float32 .npy, `[NAME=]PATH`; NAME may be left out for the first output")
	fs.BoolVar(&f.foldBN, "fold-bn", false, "fold BatchNormalization into the preceding Conv/Gemm first, as the photonic core computes it")
	c := &command{
		name:  "run",
		usage: "MODEL.onnx --input [NAME=]X.npy [--output [NAME=]Y.npy] [--fold-bn]",
		short: "run a model forward on input tensors",
		long: `
Run builds MODEL.onnx as a gorgonia graph for the shapes of the given inputs
and runs it forward in float32. Every graph input needs a value; the batch
size may differ from the export's as long as the model declares that axis
dynamic. Inputs must be finite.

Each --output writes one graph output as a float32 .npy file, atomically.
Outputs without --output are summarized on standard output (shape, and the
arg-max of each row for a [N, classes] output).`,
		example: "\telight run testdata/vgg8/vgg8_bnfold_op13.onnx --input testdata/vgg8/input.npy --output logits.npy",
		flags:   fs,
	}
	c.run = func(ctx context.Context, args []string, stdout, _ io.Writer) error {
		return runRun(ctx, args, f, stdout)
	}
	return c
}

func runRun(ctx context.Context, args []string, f runFlags, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError("want exactly one MODEL.onnx argument, got %d", len(args))
	}
	if len(f.inputs) == 0 {
		return usageError("no --input given")
	}
	m, err := onnxio.Read(args[0])
	if err != nil {
		return err
	}
	if f.foldBN {
		if _, err := onnxio.FoldBatchNorm(m); err != nil {
			return err
		}
	}
	var inputNames, outputNames []string
	for _, in := range m.Graph.Inputs {
		inputNames = append(inputNames, in.Name)
	}
	for _, out := range m.Graph.Outputs {
		outputNames = append(outputNames, out.Name)
	}
	inputPaths, err := namedPaths("input", f.inputs, inputNames)
	if err != nil {
		return err
	}
	outputPaths, err := namedPaths("output", f.outputs, outputNames[:min(1, len(outputNames))])
	if len(f.outputs) > 1 || err != nil {
		if outputPaths, err = namedPaths("output", f.outputs, outputNames); err != nil {
			return err
		}
	}
	inputs := map[string]*onnxio.Tensor{}
	readFrom := []string{args[0]}
	for name, path := range inputPaths {
		t, err := readTensor(path)
		if err != nil {
			return fmt.Errorf("input %q: %w", name, err)
		}
		inputs[name] = t
		readFrom = append(readFrom, path)
	}
	net, err := network.Build(m, inputs, network.Options{})
	if err != nil {
		return err
	}
	outs, err := net.Run(inputs)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted; nothing written")
	}
	// encode everything first so that a failure writes nothing
	files := map[string][]byte{}
	for _, out := range outs {
		path, ok := outputPaths[out.Name]
		if !ok {
			fmt.Fprintln(stdout, summarize(out))
			continue
		}
		if files[path], err = encodeNpy(out); err != nil {
			return fmt.Errorf("output %q: %w", out.Name, err)
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := onnxio.WriteFileAtomic(p, files[p], readFrom...); err != nil {
			return err
		}
	}
	return nil
}

// summarize describes an output tensor in one line.
func summarize(t *onnxio.Tensor) string {
	s := fmt.Sprintf("%s: %v %v", t.Name, t.DataType, t.Dims)
	if len(t.Dims) == 2 && t.DataType == onnxio.Float && t.Dims[1] > 1 {
		rows, cols := int(t.Dims[0]), int(t.Dims[1])
		top := make([]int, rows)
		for r := 0; r < rows; r++ {
			for c := 1; c < cols; c++ {
				if t.Float[r*cols+c] > t.Float[r*cols+top[r]] {
					top[r] = c
				}
			}
		}
		s += fmt.Sprintf(" argmax %v", top)
	}
	return s
}
