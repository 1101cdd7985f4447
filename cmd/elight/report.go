package main

import (
	"context"
	"io"

	"github.com/elight-photonic/elight/report"
	"github.com/spf13/pflag"
)

func reportCommand() *command {
	fs := pflag.NewFlagSet("report", pflag.ContinueOnError)
	c := &command{
		name:  "report",
		usage: "REPORT.json",
		short: "print the table of a report written by optimize",
		long: `
Report prints the table 'elight optimize' printed when it wrote REPORT.json:
per layer the writes of every programming order, the chosen order's
most-written cell, energy and latency, the totals, and the fine-tuning and
accuracy the report records (with the search's checkpoints counted).`,
		example: "\telight report vgg8_q.report.json",
		flags:   fs,
	}
	c.run = func(_ context.Context, args []string, stdout, _ io.Writer) error {
		if len(args) != 1 {
			return usageError("want one REPORT.json, got %d arguments", len(args))
		}
		r, err := report.Read(args[0])
		if err != nil {
			return err
		}
		return r.WriteTable(stdout)
	}
	return c
}
