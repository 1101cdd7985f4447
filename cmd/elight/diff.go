package main

import (
	"context"
	"fmt"
	"io"

	"github.com/elight-photonic/elight/report"
	"github.com/spf13/pflag"
)

type diffFlags struct {
	failOnIncrease float64
}

func diffCommand() *command {
	f := diffFlags{failOnIncrease: -1}
	fs := pflag.NewFlagSet("diff", pflag.ContinueOnError)
	fs.Float64Var(&f.failOnIncrease, "fail-on-increase", -1, "exit with status 1 when total writes grew by more than `PCT` percent (negative: never)")
	c := &command{
		name:  "diff",
		usage: "OLD.json NEW.json [--fail-on-increase PCT]",
		short: "compare the write reports of two model versions",
		long: `
Diff compares two reports written by 'elight optimize --report': per layer and
in total, the PCM writes under the new report's strategy. Layers are matched
by ONNX node name; a layer whose name changed is matched by its matrix shape
and its position among the unmatched layers, and shown as renamed. Layers
only in one report are shown as added or removed.

With --fail-on-increase, diff exits with status 1 when the total grew by
more than PCT percent, so a pipeline can stop a model version that would
wear the PCM cells faster.`,
		example: "\telight diff v1/report.json v2/report.json --fail-on-increase 5",
		flags:   fs,
	}
	c.run = func(ctx context.Context, args []string, stdout, _ io.Writer) error { return runDiff(args, f, stdout) }
	return c
}

func runDiff(args []string, f diffFlags, stdout io.Writer) error {
	if len(args) != 2 {
		return usageError("want OLD.json and NEW.json, got %d arguments", len(args))
	}
	old, err := report.Read(args[0])
	if err != nil {
		return err
	}
	new, err := report.Read(args[1])
	if err != nil {
		return err
	}
	d, err := report.Compare(old, new)
	if err != nil {
		return err
	}
	if err := d.WriteTable(stdout); err != nil {
		return err
	}
	if f.failOnIncrease >= 0 && d.GrowthPercent() > f.failOnIncrease {
		return fmt.Errorf("total writes grew by %.2f%% (%d -> %d), more than --fail-on-increase %g%%",
			d.GrowthPercent(), d.OldTotal, d.NewTotal, f.failOnIncrease)
	}
	return nil
}
