package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/report"
)

// searchArgs searches on the testdata ResNet's reference batch: segments
// of a few steps, validation on 8 of its training images.
func searchArgs(out string, extra ...string) []string {
	return append([]string{"optimize", "../../testdata/resnet/resnet_bnfold_op13.onnx", "-o", out,
		"--data", "npy:../../testdata/resnet/input.npy,../../testdata/resnet/labels.npy", "--holdout", "0.25",
		"--batch", "8", "--seed", "5", "--segment-steps", "4", "--warmup", "1", "--validation", "8", "-q"}, extra...)
}

// TestOptimizeSearch: the search records every checkpoint and a replay;
// the replay flags train the chosen model again, byte for byte; a second
// search writes the same bytes.
func TestOptimizeSearch(t *testing.T) {
	var outputs [2][]byte
	var rep *report.Report
	var searched string
	for run := range outputs {
		dir := t.TempDir()
		searched = filepath.Join(dir, "s.onnx")
		out := filepath.Join(dir, "s.onnx")
		// max-drop 100 keeps every checkpoint: the fewest writes wins
		if code, _, stderr := runElight(t, searchArgs(out, "--segments", "3", "--max-drop", "99")...); code != 0 {
			t.Fatalf("optimize: exit %d: %s", code, stderr)
		}
		outputs[run] = readOutputs(t, dir, "s")
		var err error
		if rep, err = report.Read(filepath.Join(dir, "s.report.json")); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(outputs[0], outputs[1]) {
		t.Error("two searches with the same seed wrote different files")
	}
	s := rep.Finetune.Search
	if s == nil || len(s.Checkpoints) != 4 || s.Stopped != "segments" || rep.Finetune.Validation != 8 {
		t.Fatalf("report's search record: %+v", s)
	}
	if s.Chosen < 1 || !s.Checkpoints[s.Chosen].Met {
		t.Fatalf("chose checkpoint %d of %+v", s.Chosen, s.Checkpoints)
	}
	if f := rep.Finetune; len(f.LambdaSchedule) != s.Chosen || f.Steps != s.Chosen*f.SegmentSteps {
		t.Errorf("report's lineage: lambdas %v and %d steps; want the %d segments up to the chosen one, %d steps each", f.LambdaSchedule, f.Steps, s.Chosen, f.SegmentSteps)
	}
	for _, c := range s.Checkpoints {
		if c.Met && c.Writes < s.Checkpoints[s.Chosen].Writes {
			t.Errorf("checkpoint %d met the budget with %d writes, fewer than the chosen %d's %d", c.Index, c.Writes, s.Chosen, s.Checkpoints[s.Chosen].Writes)
		}
	}
	if a := rep.Accuracy; a == nil || a.Quantized != nil || a.Finetuned == nil {
		t.Errorf("report's accuracy after a search: %+v; want the float and fine-tuned test top-1 and no quantized (checkpoint 0 is that)", a)
	}
	if got := rep.Totals.Writes.Get(rep.Strategy); got != s.Checkpoints[s.Chosen].Writes {
		t.Errorf("the written model needs %d writes, the search measured %d", got, s.Checkpoints[s.Chosen].Writes)
	}

	// the replay: the run's own flags, the search's replaced by its replay flags
	dir := t.TempDir()
	args := append(searchArgs(filepath.Join(dir, "s.onnx")), strings.Fields(s.Replay)...)
	if code, _, stderr := runElight(t, args...); code != 0 {
		t.Fatalf("replay %s: exit %d: %s", s.Replay, code, stderr)
	}
	a, err := onnxio.Read(searched)
	if err != nil {
		t.Fatal(err)
	}
	b, err := onnxio.Read(filepath.Join(dir, "s.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for name, ta := range a.Graph.Initializers {
		if !slices.Equal(ta.Float, b.Graph.Initializers[name].Float) {
			t.Errorf("initializer %q: replaying %q trained other weights than the search chose", name, s.Replay)
		}
	}
}

// TestOptimizeProgressInALog: progress written to a file or a pipe, not
// a terminal, is plain lines: one at every tenth of each segment and one
// per segment, no bar redrawn with carriage returns.
func TestOptimizeProgressInALog(t *testing.T) {
	args := searchArgs(filepath.Join(t.TempDir(), "s.onnx"), "--segments", "2", "--segment-steps", "20", "--max-drop", "99")
	args = slices.DeleteFunc(args, func(a string) bool { return a == "-q" })
	// later flags win: --segment-steps 20 over searchArgs' 4
	code, _, stderr := runElight(t, args...)
	if code != 0 {
		t.Fatalf("optimize: exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("progress in a log redraws a bar:\n%q", stderr)
	}
	var steps, segments int
	for _, line := range strings.Split(stderr, "\n") {
		switch {
		case strings.HasPrefix(line, "fine-tuning: step "):
			steps++
		case strings.HasPrefix(line, "segment "):
			segments++
		}
	}
	if steps != 20 || segments != 2 {
		t.Errorf("%d step lines and %d segment lines, want 20 (each tenth of two 20-step segments) and 2:\n%s", steps, segments, stderr)
	}
}

// TestOptimizeSearchUnmetBudget: when no checkpoint keeps the accuracy,
// optimize exits 1, writes nothing, and says how close it came.
func TestOptimizeSearchUnmetBudget(t *testing.T) {
	dir := t.TempDir()
	// one bit per cell loses far more than 0.01 points on any model
	code, _, stderr := runElight(t, searchArgs(filepath.Join(dir, "s.onnx"), "--segments", "1", "--bits", "1", "--max-drop", "0.01")...)
	if code != 1 || !strings.Contains(stderr, "--max-drop") || !strings.Contains(stderr, "closest") || !strings.Contains(stderr, "nothing written") {
		t.Errorf("exit %d, %q; want exit 1 naming the closest run and the --max-drop that admits it", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("an unmet budget wrote %s", entries[0].Name())
	}
}

// TestOptimizeSearchHonoursBudget: with no segment limit the search runs
// until --budget, and the run ends within a minute of it.
func TestOptimizeSearchHonoursBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for the budget")
	}
	dir := t.TempDir()
	budget := 20 * time.Second
	start := time.Now()
	if code, _, stderr := runElight(t, searchArgs(filepath.Join(dir, "s.onnx"), "--budget", budget.String(), "--max-drop", "99")...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	took := time.Since(start)
	rep, err := report.Read(filepath.Join(dir, "s.report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Finetune.Search.Stopped != "deadline" || len(rep.Finetune.Search.Checkpoints) < 2 {
		t.Errorf("stopped by %q after %d checkpoints; want the deadline after some segments", rep.Finetune.Search.Stopped, len(rep.Finetune.Search.Checkpoints))
	}
	if took > budget+time.Minute {
		t.Errorf("a %v budget took %v", budget, took)
	}
}

// TestOptimizeSearchStartsCautiously: a budget that holds fewer than 10
// segments (here one already spent on measuring) makes the search train
// at lr 1e-4 and distil, and says so in the report and its replay flags,
// unless --lr or --distill was given.
func TestOptimizeSearchStartsCautiously(t *testing.T) {
	for _, c := range []struct {
		extra    []string
		cautious bool
		lr       float64
	}{
		{nil, true, 1e-4},
		{[]string{"--lr", "1e-3"}, false, 1e-3},
		{[]string{"--distill=false"}, false, 1e-3},
	} {
		dir := t.TempDir()
		args := append(searchArgs(filepath.Join(dir, "s.onnx"), "--budget", "1s", "--max-drop", "99"), c.extra...)
		if code, _, stderr := runElight(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.extra, code, stderr)
		}
		rep, err := report.Read(filepath.Join(dir, "s.report.json"))
		if err != nil {
			t.Fatal(err)
		}
		f := rep.Finetune
		if f.Search.Cautious != c.cautious || f.Distillation != c.cautious || f.LR != c.lr {
			t.Errorf("%v: cautious %v, distillation %v, lr %g; want cautious and distilled %v at lr %g",
				c.extra, f.Search.Cautious, f.Distillation, f.LR, c.cautious, c.lr)
		}
	}
}

// TestOptimizeSearchFlagsConflict: the search's flags and those that fix
// the training length exclude each other.
func TestOptimizeSearchFlagsConflict(t *testing.T) {
	dir := t.TempDir()
	for _, extra := range [][]string{
		{"--steps", "3", "--max-drop", "1"},
		{"--epochs", "1", "--budget", "1m"},
		{"--diff-weight-schedule", "1,2", "--diff-weight", "3"},
		{"--max-drop", "-1"},
		{"--budget", "0s"},
		{"--segment-lr", "1e-3"},
		{"--diff-weight-schedule", "1,2", "--segment-lr", "1e-3"},
		{"--diff-weight-schedule", "1", "--segment-lr", "0"},
	} {
		code, _, stderr := runElight(t, searchArgs(filepath.Join(dir, "s.onnx"), extra...)...)
		if code != 2 || !strings.Contains(stderr, strings.TrimPrefix(extra[len(extra)-2], "")) {
			t.Errorf("%v: exit %d, %q; want a usage error naming the flag", extra, code, stderr)
		}
	}
}

func readOutputs(t *testing.T, dir, base string) []byte {
	t.Helper()
	var all []byte
	for _, ext := range []string{".onnx", ".sched", ".report.json"} {
		data, err := os.ReadFile(filepath.Join(dir, base+ext))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, data...)
	}
	return all
}

// TestOptimizeChecksOutputFolderFirst: a missing output folder is an error
// before anything is read or trained, not after.
func TestOptimizeChecksOutputFolderFirst(t *testing.T) {
	out := filepath.Join(t.TempDir(), "missing", "s.onnx")
	code, _, stderr := runElight(t, searchArgs(out, "--segments", "1")...)
	if code != 2 || !strings.Contains(stderr, "does not exist") || !strings.Contains(stderr, "--output") {
		t.Errorf("exit %d, %q; want a usage error naming --output and the missing folder", code, stderr)
	}
}

// TestReportPrintsSearch: elight report prints the table of a report on
// disk, the search included; a file that is not a report is an error
// naming it.
func TestReportPrintsSearch(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runElight(t, searchArgs(filepath.Join(dir, "s.onnx"), "--segments", "2", "--max-drop", "99")...); code != 0 {
		t.Fatalf("optimize: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runElight(t, "report", filepath.Join(dir, "s.report.json"))
	if code != 0 || !strings.Contains(stdout, "searched 2 segments") || !strings.Contains(stdout, "total") {
		t.Errorf("report: exit %d, %q %q; want the table with the search", code, stdout, stderr)
	}
	bad := filepath.Join(dir, "s.sched")
	if code, _, stderr := runElight(t, "report", bad); code != 1 || !strings.Contains(stderr, bad) {
		t.Errorf("report of a schedule: exit %d, %q; want an error naming the file", code, stderr)
	}
}
