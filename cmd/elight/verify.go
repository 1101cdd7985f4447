package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/elight-photonic/elight"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/report"
	"github.com/spf13/pflag"
)

type verifyFlags struct {
	report string
}

func verifyCommand() *command {
	var f verifyFlags
	fs := pflag.NewFlagSet("verify", pflag.ContinueOnError)
	fs.StringVar(&f.report, "report", "", "also compare every layer's replayed writes with this report (`OUT.json`)")
	c := &command{
		name:  "verify",
		usage: "OUT.onnx OUT.sched [--report OUT.json]",
		short: "replay a programming schedule on simulated cores and check it",
		long: `
Verify replays OUT.sched, written by 'elight optimize', on simulated photonic
cores and checks, for every layer:

  - the schedule's levels, dequantized, are exactly the layer's weights in
    OUT.onnx;
  - programming the cores in the schedule's order, one level step at a
    time, with each cell fed the input the schedule routes to it,
    accumulates exactly the products of the layer's levels times an input
    vector of small integers of both signs;
  - the total writes counted while replaying equal what OUT.onnx's metadata
    records, and, with --report, every layer's writes, most-written cell,
    energy and latency equal the report's.

It exits with status 0 only if every check passes.`,
		example: "\telight verify vgg8_q.onnx vgg8_q.sched --report vgg8_q.report.json",
		flags:   fs,
	}
	c.run = func(ctx context.Context, args []string, stdout, _ io.Writer) error { return runVerify(args, f, stdout) }
	return c
}

func runVerify(args []string, f verifyFlags, stdout io.Writer) error {
	if len(args) != 2 {
		return usageError("want OUT.onnx and OUT.sched, got %d arguments", len(args))
	}
	modelPath, schedPath := args[0], args[1]
	m, err := onnxio.Read(modelPath)
	if err != nil {
		return err
	}
	// The schedule is replayed a layer at a time from the file: that of a
	// model over 2 GiB is gigabytes itself.
	schedule, err := os.Open(schedPath)
	if err != nil {
		return err
	}
	defer schedule.Close()
	info, err := schedule.Stat()
	if err != nil {
		return err
	}
	var rep *report.Report
	if f.report != "" {
		if rep, err = report.Read(f.report); err != nil {
			return err
		}
	}
	v, err := elight.VerifyFrom(m, schedule, info.Size(), rep)
	if err != nil {
		return fmt.Errorf("%s, %s: %w", modelPath, schedPath, err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "layer\tweights\tproducts\twrites (%s)\tmax cell\t\n", m.Metadata()["elight.strategy"])
	for _, l := range v.Layers {
		fmt.Fprintf(tw, "%s\tequal\tequal\t%d\t%d\t\n", l.Name, l.Writes, l.MaxCellWrites)
	}
	fmt.Fprintf(tw, "total\t\t\t%d\t%d\t\n", v.Total.Writes, v.Total.MaxCellWrites)
	tw.Flush()
	if c := v.Chip; c != nil {
		fmt.Fprintf(stdout, "chip of %d cores, two inferences replayed: products equal; the second writes %d, most-written cell %d, as recorded\n",
			len(c.CellWrites)/(c.K*c.K), c.Writes, c.MaxCellWrites)
	}
	fmt.Fprintf(stdout, "ok: %d layers replayed; products, levels and writes match\n", len(v.Layers))
	return nil
}
