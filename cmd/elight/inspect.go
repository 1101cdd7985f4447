package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/reorder"
	"github.com/spf13/pflag"
)

type inspectFlags struct {
	block int
	json  bool
}

func inspectCommand() *command {
	var f inspectFlags
	fs := pflag.NewFlagSet("inspect", pflag.ContinueOnError)
	fs.IntVar(&f.block, "block", 64, "photonic core size K: layers are cut into K x K blocks")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of tables")
	c := &command{
		name:  "inspect",
		usage: "MODEL.onnx [--block K] [--json]",
		short: "list the layers that map onto photonic cores",
		long: `
Inspect prints the model's inputs, outputs, opset and operator histogram, and
every layer whose weights are programmed onto photonic tensor cores: its ONNX
node, weight initializer, the weight as the matrix M the core computes
([outputs, inputs]; a Conv weight [O, I/G, kh, kw] of group G is
O x I/G*kh*kw), and M's grid of K x K blocks: p block rows (cores in
parallel) by q blocks each core is programmed with in turn.

BatchNormalization nodes that follow a Conv or Gemm are folded into it first,
as the photonic core computes the folded weights; the layers then show the
folded weights.`,
		example: "\telight inspect testdata/vgg8/vgg8_bn_op13.onnx --block 32",
		flags:   fs,
	}
	c.run = func(ctx context.Context, args []string, stdout, _ io.Writer) error {
		return runInspect(args, f, stdout)
	}
	return c
}

// inspection is the JSON form of elight inspect.
type inspection struct {
	Model       string         `json:"model"`
	Opset       int64          `json:"opset"`
	Inputs      []valueJSON    `json:"inputs"`
	Outputs     []valueJSON    `json:"outputs"`
	Ops         map[string]int `json:"ops"`
	FoldedBN    []string       `json:"folded_batchnorm"`
	Block       int            `json:"block"`
	Layers      []layerJSON    `json:"layers"`
	TotalBlocks int            `json:"total_blocks"`
	TotalCells  int            `json:"total_weights"`
}

type valueJSON struct {
	Name  string   `json:"name"`
	Type  string   `json:"type"`
	Shape []string `json:"shape"`
}

type layerJSON struct {
	Name        string  `json:"name"`
	Op          string  `json:"op"`
	Weight      string  `json:"weight"`
	WeightShape []int64 `json:"weight_shape"`
	Rows        int     `json:"rows"`
	Cols        int     `json:"cols"`
	BlockRows   int     `json:"block_rows"`
	BlockCols   int     `json:"block_cols"`
	Weights     int     `json:"weights"`
}

func runInspect(args []string, f inspectFlags, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError("want exactly one MODEL.onnx argument, got %d", len(args))
	}
	if f.block < 1 {
		return usageError("--block %d: the core size must be at least 1", f.block)
	}
	m, err := onnxio.Read(args[0])
	if err != nil {
		return err
	}
	info := inspection{Model: args[0], Opset: m.Opset, Ops: map[string]int{}, Block: f.block}
	for _, in := range m.Graph.Inputs {
		info.Inputs = append(info.Inputs, describeValue(in))
	}
	for _, out := range m.Graph.Outputs {
		info.Outputs = append(info.Outputs, describeValue(out))
	}
	for _, n := range m.Graph.Nodes {
		info.Ops[n.OpType]++
	}
	if info.FoldedBN, err = onnxio.FoldBatchNorm(m); err != nil {
		return err
	}
	for _, l := range m.Graph.PhotonicLayers() {
		grid := reorder.Grid{Rows: l.Rows, Cols: l.Cols, K: f.block}
		info.Layers = append(info.Layers, layerJSON{
			Name: l.Node.Name, Op: l.Node.OpType, Weight: l.Weight,
			WeightShape: m.Graph.Initializers[l.Weight].Dims,
			Rows:        l.Rows, Cols: l.Cols,
			BlockRows: grid.BlockRows(), BlockCols: grid.BlockCols(),
			Weights: l.Rows * l.Cols,
		})
		info.TotalBlocks += grid.Blocks()
		info.TotalCells += l.Rows * l.Cols
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	printInspection(stdout, info)
	return nil
}

func describeValue(v onnxio.ValueInfo) valueJSON {
	out := valueJSON{Name: v.Name, Type: strings.ToLower(v.DataType.String())}
	for _, d := range v.Shape {
		switch {
		case d.Param != "":
			out.Shape = append(out.Shape, d.Param)
		case d.Value >= 0:
			out.Shape = append(out.Shape, fmt.Sprint(d.Value))
		default:
			out.Shape = append(out.Shape, "?")
		}
	}
	return out
}

func printInspection(w io.Writer, info inspection) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s\n", info.Model)
	fmt.Fprintf(tw, "opset\t%d\n", info.Opset)
	for _, in := range info.Inputs {
		fmt.Fprintf(tw, "input\t%s\t%s [%s]\n", in.Name, in.Type, strings.Join(in.Shape, " "))
	}
	for _, out := range info.Outputs {
		fmt.Fprintf(tw, "output\t%s\t%s [%s]\n", out.Name, out.Type, strings.Join(out.Shape, " "))
	}
	ops := make([]string, 0, len(info.Ops))
	for op := range info.Ops {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool {
		if info.Ops[ops[i]] != info.Ops[ops[j]] {
			return info.Ops[ops[i]] > info.Ops[ops[j]]
		}
		return ops[i] < ops[j]
	})
	for i, op := range ops {
		ops[i] = fmt.Sprintf("%s %d", op, info.Ops[op])
	}
	fmt.Fprintf(tw, "ops\t%s\n", strings.Join(ops, ", "))
	if len(info.FoldedBN) > 0 {
		fmt.Fprintf(tw, "batchnorm\t%d folded into the preceding Conv/Gemm; layers show folded weights\n", len(info.FoldedBN))
	}
	tw.Flush()

	fmt.Fprintf(w, "\nphotonic layers, %d x %d blocks:\n", info.Block, info.Block)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tnode\top\tweight\tweight shape\tmatrix\tblocks p x q\tweights\t")
	for i, l := range info.Layers {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\t%d x %d\t%d x %d\t%d\t\n", i, l.Name, l.Op, l.Weight, l.WeightShape,
			l.Rows, l.Cols, l.BlockRows, l.BlockCols, l.Weights)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t\t%d blocks\t%d\t\n", info.TotalBlocks, info.TotalCells)
	tw.Flush()
}
