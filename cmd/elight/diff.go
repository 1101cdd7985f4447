package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/elight-photonic/elight/report"
	"github.com/spf13/pflag"
)

type diffFlags struct {
	failOnIncrease float64
	format         string
}

func diffCommand() *command {
	f := diffFlags{failOnIncrease: -1}
	fs := pflag.NewFlagSet("diff", pflag.ContinueOnError)
	fs.Float64Var(&f.failOnIncrease, "fail-on-increase", -1, "exit with status 1 when total writes grew by more than `PCT` percent (negative: never)")
	fs.StringVar(&f.format, "format", string(report.Text), "print the diff as `FORMAT`: "+formatNames()+" (see above)")
	c := &command{
		name:  "diff",
		usage: "OLD.json NEW.json [--format text|json|markdown] [--fail-on-increase PCT]",
		short: "compare the write reports of two model versions",
		long: `
Diff compares two reports written by 'elight optimize --report': per layer and
in total, the PCM writes under the new report's strategy. Layers are matched
by ONNX node name; a layer whose name changed is matched by its matrix shape
and its position among the unmatched layers, and shown as renamed. Layers
only in one report are shown as added or removed. Every field of the two
reports' config objects that differs, nested ones as dotted keys such as
device_profile.endurance, is listed with its old and new value, and so is
the strategy: writes counted under another configuration are another
measure, not a change of the model.

--format text (the default) prints an aligned table. --format markdown
prints a line naming the strategy, a table with a total row and the
configuration differences as a list, for a pipeline to post on a pull
request. --format json prints one document:

	format_version, strategy, old_total, new_total, growth_percent,
	layers[] {change (same, renamed, added, removed), old_name, new_name,
	          rows, cols, old_writes, new_writes},
	config_changes[] {key, old, new}    (values as in the reports' JSON; [] when none)

With --fail-on-increase, diff exits with status 1 when the total grew by
more than PCT percent, so a pipeline can stop a model version that would
wear the PCM cells faster. The diff is printed first, in any format.`,
		example: "\telight diff v1/report.json v2/report.json --fail-on-increase 5\n" +
			"\telight diff v1/report.json v2/report.json --format markdown > pr-comment.md\n" +
			"\telight diff v1/report.json v2/report.json --format json | jq .growth_percent",
		flags: fs,
	}
	c.run = func(ctx context.Context, args []string, stdout, _ io.Writer) error { return runDiff(args, f, stdout) }
	return c
}

func formatNames() string {
	names := []string{}
	for _, f := range report.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

func runDiff(args []string, f diffFlags, stdout io.Writer) error {
	if len(args) != 2 {
		return usageError("want OLD.json and NEW.json, got %d arguments", len(args))
	}
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return usageError("--format %q: want one of %s", f.format, formatNames())
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
	if err := d.Write(stdout, format); err != nil {
		return err
	}
	if f.failOnIncrease >= 0 && d.GrowthPercent() > f.failOnIncrease {
		return fmt.Errorf("total writes grew by %.2f%% (%d -> %d), more than --fail-on-increase %g%%",
			d.GrowthPercent(), d.OldTotal, d.NewTotal, f.failOnIncrease)
	}
	return nil
}
