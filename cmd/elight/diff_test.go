package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/report"
)

// TestDiffFormats runs elight diff on two reports whose cell writes go
// 400 -> 500 (+25%) with the bits changed, in every format, with and
// without a --fail-on-increase the growth passes.
func TestDiffFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, bits int, writes int64) string {
		r := &report.Report{FormatVersion: report.FormatVersion, Model: "m.onnx", Strategy: "cell",
			Config: report.Config{Bits: bits, Block: 64, Scale: "tensor", ScaleHeadroom: 1},
			Layers: []report.Layer{{Name: "conv1", Op: "Conv", Rows: 64, Cols: 27, BlockRows: 1, BlockCols: 1}}}
		r.Layers[0].Writes.Set("cell", writes)
		r.Sum()
		data, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old, new := write("old.json", 4, 400), write("new.json", 6, 500)
	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   string // a line the output holds
		mentions []string
	}{
		{"text by default", nil, 0, "  bits: 4 -> 6", nil},
		{"text", []string{"--format", "text"}, 0, "conv1  64 x 27  400  500  +25.00%", nil},
		{"markdown", []string{"--format", "markdown"}, 0, "| **total** | | **400** | **500** | **+25.00%** | |", nil},
		{"json", []string{"--format=json"}, 0, `"growth_percent": 25`, nil},
		{"json over the limit", []string{"--format", "json", "--fail-on-increase", "10"}, 1, `"growth_percent": 25`, []string{"--fail-on-increase 10%"}},
		{"markdown over the limit", []string{"--format", "markdown", "--fail-on-increase", "24.9"}, 1, "- `bits`: `4` -> `6`", []string{"25.00%"}},
		{"markdown within the limit", []string{"--format", "markdown", "--fail-on-increase", "25"}, 0, "| conv1 |", nil},
		{"bad format", []string{"--format", "html"}, 2, "", []string{`--format "html"`, "text, json, markdown", "elight help diff"}},
		{"empty format", []string{"--format", ""}, 2, "", []string{"--format", "text, json, markdown"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runElight(t, append([]string{"diff", old, new}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, c.code, stderr)
			}
			if !strings.Contains(stdout, c.stdout) {
				t.Errorf("output lacks %q:\n%s", c.stdout, stdout)
			}
			if c.code == 2 && stdout != "" {
				t.Errorf("a usage error printed %q", stdout)
			}
			for _, m := range c.mentions {
				if !strings.Contains(stderr, m) {
					t.Errorf("stderr %q does not mention %q", stderr, m)
				}
			}
			if strings.Contains(strings.Join(c.args, " "), "json") && c.code != 2 {
				var d report.Diff
				if err := json.Unmarshal([]byte(stdout), &d); err != nil || len(d.Config) != 1 || d.Config[0].Key != "bits" {
					t.Errorf("not the diff document (%v): %s", err, stdout)
				}
			}
		})
	}
}
