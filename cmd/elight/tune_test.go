package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/finetune/data/datatest"
	"github.com/elight-photonic/elight/report"
)

// tuneArgs fine-tunes the testdata ResNet for a few steps on its own
// reference batch (npy data with labels), which keeps the test fast.
func tuneArgs(t *testing.T, out string, extra ...string) []string {
	t.Helper()
	return append([]string{"optimize", "../../testdata/resnet/resnet_bnfold_op13.onnx", "-o", out,
		"--data", "npy:../../testdata/resnet/input.npy,../../testdata/resnet/labels.npy", "--holdout", "0.25",
		"--steps", "3", "--batch", "8", "--seed", "5", "-q"}, extra...)
}

// TestOptimizeFinetunes runs the fine-tuning path end to end: the report
// records the run, accuracy before and after, and the writes before; the
// schedule verifies; and a second run writes the same bytes.
func TestOptimizeFinetunes(t *testing.T) {
	var outputs [2][]byte
	for run := range outputs {
		dir := t.TempDir()
		out := filepath.Join(dir, "ft.onnx")
		if code, _, stderr := runElight(t, tuneArgs(t, out)...); code != 0 {
			t.Fatalf("optimize: exit %d: %s", code, stderr)
		}
		rep, err := report.Read(filepath.Join(dir, "ft.report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Finetune == nil || rep.Finetune.Steps != 3 || rep.Accuracy == nil || rep.Accuracy.Quantized == nil || rep.Accuracy.Finetuned == nil || !rep.Config.Finetune {
			t.Fatalf("report lacks the fine-tuning record: %+v %+v", rep.Finetune, rep.Accuracy)
		}
		if rep.Finetune.WritesBefore.None == 0 {
			t.Error("report lacks the writes before fine-tuning")
		}
		if code, stdout, stderr := runElight(t, "verify", out, filepath.Join(dir, "ft.sched"), "--report", filepath.Join(dir, "ft.report.json")); code != 0 {
			t.Fatalf("verify: %s%s", stdout, stderr)
		}
		var all []byte
		for _, name := range []string{"ft.onnx", "ft.sched", "ft.report.json"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, data...)
		}
		outputs[run] = all
	}
	if !bytes.Equal(outputs[0], outputs[1]) {
		t.Error("two fine-tuning runs with the same seed wrote different files")
	}
}

func TestOptimizeLogJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ft.onnx")
	args := tuneArgs(t, out, "--log-json")
	args = args[:len(args)-2] // drop -q: --log-json speaks on stdout
	args = append(args, "--log-json")
	code, stdout, stderr := runElight(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	events := map[string]int{}
	var firstCellWrites float64
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		events[e["event"].(string)]++
		if e["event"] == "step" && e["step"] == 1.0 {
			firstCellWrites = e["cell_writes"].(float64)
		}
	}
	// the first step starts from the pretrained weights, whose writes the
	// reorder package counted for the report
	rep, err := report.Read(strings.TrimSuffix(out, ".onnx") + ".report.json")
	if err != nil {
		t.Fatal(err)
	}
	if want := rep.Finetune.WritesBefore.Cell; firstCellWrites != float64(want) {
		t.Errorf("first step's cell_writes %.0f, want the report's writes before fine-tuning %d", firstCellWrites, want)
	}
	if events["step"] != 3 || events["accuracy"] != 3 || events["written"] != 1 {
		t.Errorf("events %v; want 3 steps, 3 accuracy measurements and 1 written", events)
	}
}

func TestOptimizeFinetuneRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "ft.onnx")
	cases := []struct {
		args    []string
		mention string
	}{
		{[]string{"optimize", "../../testdata/resnet/resnet_bnfold_op13.onnx", "-o", out}, "--data"},
		{tuneArgs(t, out, "--diff-loss", "l3"), "--diff-loss"},
		{tuneArgs(t, out, "--diff-ref", "median"), "--diff-ref"},
		{tuneArgs(t, out, "--lr", "0"), "--lr"},
		{tuneArgs(t, out, "--optimizer", "lbfgs"), "--optimizer"},
		{tuneArgs(t, out, "--batch", "100"), "--batch"},
		{tuneArgs(t, out, "--steps", "3", "--warmup", "3"), "--warmup 3"},
		{[]string{"optimize", "../../testdata/resnet/resnet_bnfold_op13.onnx", "-o", out, "--data", "idx:" + datatest.FashionMNISTDir(t)}, "--pad 2 --channels 3"},
	}
	for _, c := range cases {
		code, _, stderr := runElight(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.mention) {
			t.Errorf("%v: exit %d, %q; want an error naming %s", c.args[4:], code, stderr, c.mention)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Fatalf("%v wrote %s", c.args[4:], entries[0].Name())
		}
	}
}

// TestOptimizeInterruptedWritesNothing cancels the run as Ctrl-C does,
// once fine-tuning has taken its first step.
func TestOptimizeInterruptedWritesNothing(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &cancelOnStep{cancel: cancel}
	var stderr bytes.Buffer
	code := mainWithArgs(ctx, tuneArgs(t, filepath.Join(dir, "ft.onnx"), "--steps", "50", "--log-json"), stdout, &stderr)
	if !stdout.stepped {
		t.Fatal("the run ended before its first training step")
	}
	if code != 1 || !strings.Contains(stderr.String(), "interrupted during fine-tuning") {
		t.Errorf("exit %d, %q; want an interruption during fine-tuning", code, stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("an interrupted run left %s", entries[0].Name())
	}
}

// cancelOnStep takes --log-json output and cancels at the first step.
type cancelOnStep struct {
	cancel  func()
	stepped bool
}

func (c *cancelOnStep) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"event":"step"`)) {
		c.stepped = true
		c.cancel()
	}
	return len(p), nil
}
