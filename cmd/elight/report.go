package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/report"
	"github.com/spf13/pflag"
)

func reportCommand() *command {
	fs := pflag.NewFlagSet("report", pflag.ContinueOnError)
	var html string
	fs.StringVar(&html, "html", "", "also write the report as a self-contained HTML page with charts to `OUT.html`")
	c := &command{
		name:  "report",
		usage: "REPORT.json [--html OUT.html]",
		short: "print the table of a report written by optimize, or draw it as an HTML page",
		long: `
Report prints the table 'elight optimize' printed when it wrote REPORT.json:
per layer the writes of every programming order, the chosen order's
most-written cell, energy and latency, the totals, and the fine-tuning and
accuracy the report records (with the search's checkpoints counted).

With --html it also writes OUT.html, one page that needs nothing else (CSS
and SVG charts inline, no network): the report's facts as tables, the writes
per layer and the lifetime per programming order as bar charts, and, for a
report of a chip (optimize --cores N), a heat map of every physical cell's
writes per inference and the naive and wear-levelled assignments side by
side. The same report always gives the same page, byte for byte.`,
		example: "\telight report vgg8_q.report.json\n\telight report vgg8_q.report.json --html vgg8_q.html",
		flags:   fs,
	}
	c.run = func(_ context.Context, args []string, stdout, _ io.Writer) error {
		if len(args) != 1 {
			return usageError("want one REPORT.json, got %d arguments", len(args))
		}
		if fs.Changed("html") && html == "" {
			return usageError("--html wants a file name")
		}
		if html != "" {
			// Checked before reading, as optimize checks its outputs.
			if onnxio.SameFile(html, args[0]) {
				return usageError("--html %s is the report it draws; choose another path (elight never overwrites its input)", html)
			}
			if info, err := os.Stat(filepath.Dir(html)); err != nil || !info.IsDir() {
				return usageError("--html %s: folder %s does not exist; create it first", html, filepath.Dir(html))
			}
		}
		r, err := report.Read(args[0])
		if err != nil {
			return err
		}
		if html != "" {
			var page bytes.Buffer
			if err := r.WriteHTML(&page); err != nil {
				return fmt.Errorf("--html %s: %w", html, err)
			}
			if err := onnxio.WriteFileAtomic(html, page.Bytes(), args[0]); err != nil {
				return fmt.Errorf("--html: %w", err)
			}
		}
		return r.WriteTable(stdout)
	}
	return c
}
