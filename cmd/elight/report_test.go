package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/reorder"
	"github.com/elight-photonic/elight/report"
)

// writeChipReport writes a small report of a chip of two 2 x 2 cores, as
// optimize --cores 2 would, and returns its path.
func writeChipReport(t *testing.T, dir string) string {
	t.Helper()
	r := &report.Report{FormatVersion: report.FormatVersion, Model: "m.onnx", Strategy: reorder.Cell,
		Config: report.Config{Bits: 4, Block: 2, PCMLoss: 0.128, Scale: "tensor", ScaleHeadroom: 1, Cores: 2,
			Device: report.Device{Name: "gst", TUpUS: 0.5, TDownUS: 20, EUp: 9, EDown: 40, Endurance: 3800}}}
	chip := &report.Chip{Cores: 2, CellWrites: [][]int64{{1, 2, 3, 4}, {5, 6, 7, 8}}}
	for i, name := range []string{"/conv1/Conv", "/fc/Gemm"} {
		l := report.Layer{Name: name, Op: "Conv", Weight: name + ".w", Rows: 2, Cols: 4, BlockRows: 1, BlockCols: 2}
		for j, s := range reorder.Strategies() {
			l.Set(s, reorder.Stats{Writes: int64(100 * (i + 1) / (j + 1)), MaxCellWrites: int64(10 * (i + 1) / (j + 1))}, 3800)
			chip.Naive.Set(s, reorder.Stats{Writes: 300, MaxCellWrites: 12}, 3800)
			chip.Levelled.Set(s, reorder.Stats{Writes: 300, MaxCellWrites: 8}, 3800)
		}
		r.Layers = append(r.Layers, l)
	}
	r.Sum()
	r.Chip = chip
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "m.report.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReportHTML: --html writes the page beside printing the table, the
// same page every time; it never replaces the report it reads, and a bad
// --html is an error naming the flag.
func TestReportHTML(t *testing.T) {
	dir := t.TempDir()
	in := writeChipReport(t, dir)
	out := filepath.Join(dir, "m.html")
	code, stdout, stderr := runElight(t, "report", in, "--html", out)
	if code != 0 || !strings.Contains(stdout, "total") {
		t.Fatalf("exit %d, %q %q; want the table and the page", code, stdout, stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(page, []byte("<!DOCTYPE html>")) || bytes.Count(page, []byte("<svg")) != 5 ||
		!bytes.Contains(page, []byte("/conv1/Conv")) || !bytes.Contains(page, []byte("core 1")) {
		t.Errorf("page is not the report with its five charts:\n%.400s", page)
	}
	if code, _, stderr := runElight(t, "report", in, "--html", out); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, page) {
		t.Error("two pages of one report differ")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d files, want the report and the page (no temporary left)", len(entries))
	}

	before, _ := os.ReadFile(in)
	if code, _, stderr := runElight(t, "report", in, "--html", in); code != 2 || !strings.Contains(stderr, "--html") || !strings.Contains(stderr, "never overwrites") {
		t.Errorf("--html onto the report: exit %d, %q; want a usage error naming --html", code, stderr)
	}
	if after, _ := os.ReadFile(in); !bytes.Equal(after, before) {
		t.Error("the report changed")
	}
	missing := filepath.Join(dir, "missing", "m.html")
	if code, _, stderr := runElight(t, "report", in, "--html", missing); code != 2 || !strings.Contains(stderr, "--html") || !strings.Contains(stderr, "does not exist") {
		t.Errorf("--html into a missing folder: exit %d, %q; want a usage error naming --html and the folder", code, stderr)
	}
	if code, _, stderr := runElight(t, "report", in, "--html", ""); code != 2 || !strings.Contains(stderr, "--html") {
		t.Errorf("empty --html: exit %d, %q; want a usage error naming --html", code, stderr)
	}
}
