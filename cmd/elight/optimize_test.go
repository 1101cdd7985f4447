package main

import (
	"bytes"
	"github.com/elight-photonic/elight/reorder"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/onnxio/onnxtest"
	"github.com/elight-photonic/elight/report"
)

var optimizeModels = []string{
	"../../testdata/resnet/resnet_bn_op11.onnx",
	"../../testdata/vgg8/vgg8_bnfold_op13.onnx",
	// depthwise, grouped and squeeze-excitation blocks, BatchNorm kept,
	// a bias-free classifier behind a Transpose
	"../../testdata/mobile/mobile_bn_op13.onnx",
}

// TestOptimizeVerifiesForEveryStrategy optimizes each test model with every
// strategy and replays the schedule with elight verify.
func TestOptimizeVerifiesForEveryStrategy(t *testing.T) {
	for _, model := range optimizeModels {
		for _, strategy := range []string{"none", "sort", "cell", "column", "block"} {
			t.Run(filepath.Base(model)+"/"+strategy, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "q.onnx")
				code, _, stderr := runElight(t, "optimize", model, "-o", out, "--no-finetune", "--reorder", strategy, "-q")
				if code != 0 {
					t.Fatalf("optimize: exit %d: %s", code, stderr)
				}
				code, stdout, stderr := runElight(t, "verify", out, strings.TrimSuffix(out, ".onnx")+".sched",
					"--report", strings.TrimSuffix(out, ".onnx")+".report.json")
				if code != 0 || !strings.Contains(stdout, "ok:") {
					t.Fatalf("verify: exit %d: %s%s", code, stdout, stderr)
				}
			})
		}
	}
}

// TestOptimizeChipVerifies lays each test model out on chips of 1, 8 and
// 64 cores, verifies the schedule (which replays the chip), checks that the
// levelled plan is no worse than the naive one on the most-written cell
// and that the lifetime is the preset's endurance over it, and that the
// outputs are the same bytes on a second run.
func TestOptimizeChipVerifies(t *testing.T) {
	for _, model := range optimizeModels {
		for _, cores := range []string{"1", "8", "64"} {
			t.Run(filepath.Base(model)+"/"+cores, func(t *testing.T) {
				var first []byte
				for run := range 2 {
					out := filepath.Join(t.TempDir(), "q.onnx")
					code, _, stderr := runElight(t, "optimize", model, "-o", out, "--no-finetune", "--device", "gsse", "--cores", cores, "-q")
					if code != 0 {
						t.Fatalf("optimize: exit %d: %s", code, stderr)
					}
					base := strings.TrimSuffix(out, ".onnx")
					code, stdout, stderr := runElight(t, "verify", out, base+".sched", "--report", base+".report.json")
					if code != 0 || !strings.Contains(stdout, "chip of "+cores+" cores") {
						t.Fatalf("verify: exit %d: %s%s", code, stdout, stderr)
					}
					rep, err := report.Read(base + ".report.json")
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range reorder.Strategies() {
						naive, levelled := rep.Chip.Naive.MaxCellWrites.Get(s), rep.Chip.Levelled.MaxCellWrites.Get(s)
						if levelled > naive {
							t.Errorf("%s: levelled most-written cell %d > naive %d", s, levelled, naive)
						}
						if want := report.Lifetime(levelled, 5e5); rep.Chip.Levelled.Lifetime.Get(s) != want {
							t.Errorf("%s: lifetime %g, want %g", s, rep.Chip.Levelled.Lifetime.Get(s), want)
						}
					}
					sched, err := os.ReadFile(base + ".sched")
					if err != nil {
						t.Fatal(err)
					}
					if run == 0 {
						first = sched
					} else if !bytes.Equal(sched, first) {
						t.Error("the chip schedule differs between two runs")
					}
				}
			})
		}
	}
}

// TestOptimizeScaleHeadroom: a scale above max|w| reaches the schedule and
// the report, the replay still reproduces the model's weights, and every
// weight sits lower, so each order needs fewer writes.
func TestOptimizeScaleHeadroom(t *testing.T) {
	model := optimizeModels[0]
	dir := t.TempDir()
	totals := map[string]*report.Totals{}
	for _, headroom := range []string{"1", "2.5"} {
		out := filepath.Join(dir, "h"+headroom+".onnx")
		if code, _, stderr := runElight(t, "optimize", model, "-o", out, "--no-finetune", "--scale-headroom", headroom, "-q"); code != 0 {
			t.Fatalf("optimize --scale-headroom %s: %s", headroom, stderr)
		}
		reportPath := strings.TrimSuffix(out, ".onnx") + ".report.json"
		code, stdout, stderr := runElight(t, "verify", out, strings.TrimSuffix(out, ".onnx")+".sched", "--report", reportPath)
		if code != 0 || !strings.Contains(stdout, "ok:") {
			t.Fatalf("verify --scale-headroom %s: exit %d: %s%s", headroom, code, stdout, stderr)
		}
		rep, err := report.Read(reportPath)
		if err != nil {
			t.Fatal(err)
		}
		if got := strconv.FormatFloat(rep.Config.ScaleHeadroom, 'g', -1, 64); got != headroom {
			t.Errorf("report scale_headroom %s, want %s", got, headroom)
		}
		totals[headroom] = &rep.Totals
	}
	for _, strategy := range []reorder.Strategy{reorder.None, reorder.Cell} {
		low := totals["2.5"].Writes.Get(strategy)
		high := totals["1"].Writes.Get(strategy)
		if !(low < high) {
			t.Errorf("%s writes: %d with headroom 2.5, %d without; want fewer", strategy, low, high)
		}
	}
}

// TestOptimizedModelRunsInONNXRuntime checks the annotated model with
// onnx.checker and compares onnxruntime's outputs with elight run's.
func TestOptimizedModelRunsInONNXRuntime(t *testing.T) {
	for _, model := range optimizeModels {
		t.Run(filepath.Base(model), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "q.onnx")
			if code, _, stderr := runElight(t, "optimize", model, "-o", out, "--no-finetune", "-q"); code != 0 {
				t.Fatalf("optimize: %s", stderr)
			}
			onnxtest.Check(t, out)
			input := filepath.Join(filepath.Dir(model), "input.npy")
			logits := filepath.Join(dir, "logits.npy")
			if code, _, stderr := runElight(t, "run", out, "--input", input, "--output", logits); code != 0 {
				t.Fatalf("run: %s", stderr)
			}
			ours := onnxtest.ReadNpy(t, logits)
			ort := onnxtest.RunORT(t, out, input)
			diff, span := onnxtest.MaxAbsDiff(ours.Float, ort.Float), onnxtest.Range(ort.Float)
			t.Logf("quantized model: max |elight - onnxruntime| = %.3g, logits range %.3g", diff, span)
			if diff > 1e-4*span {
				t.Errorf("elight and onnxruntime differ by %.3g on the quantized model (range %.3g)", diff, span)
			}
		})
	}
}

func TestOptimizeIsDeterministic(t *testing.T) {
	var first [][]byte
	for run := 0; run < 2; run++ {
		dir := t.TempDir()
		out := filepath.Join(dir, "q.onnx")
		if code, _, stderr := runElight(t, "optimize", optimizeModels[0], "-o", out, "--no-finetune", "--reorder", "column", "-q"); code != 0 {
			t.Fatalf("optimize: %s", stderr)
		}
		var files [][]byte
		for _, name := range []string{"q.onnx", "q.sched", "q.report.json"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, data)
		}
		if run == 0 {
			first = files
			continue
		}
		for i := range files {
			if !bytes.Equal(files[i], first[i]) {
				t.Errorf("output %d differs between two runs", i)
			}
		}
	}
}

func TestVerifyRejectsTamperedSchedule(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "q.onnx")
	if code, _, stderr := runElight(t, "optimize", optimizeModels[0], "-o", out, "--no-finetune", "-q"); code != 0 {
		t.Fatalf("optimize: %s", stderr)
	}
	sched := filepath.Join(dir, "q.sched")
	data, err := os.ReadFile(sched)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 1
	if err := os.WriteFile(sched, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runElight(t, "verify", out, sched)
	if code != 1 || !strings.Contains(stderr, "q.sched") {
		t.Errorf("verify of a tampered schedule: exit %d, %q", code, stderr)
	}
}

// TestOptimizeRejectsBadFlags checks that each bad flag or value gives a
// clear error and writes nothing.
func TestOptimizeRejectsBadFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	missing := write("missing.json", `{"t_up_us": 0.5, "t_down_us": 20, "e_up": 9}`)
	negative := write("negative.json", `{"t_up_us": 0.5, "t_down_us": -20, "e_up": 9, "e_down": 40, "endurance": 1e8}`)
	out := filepath.Join(dir, "q.onnx")
	model := optimizeModels[0]
	cases := []struct {
		name    string
		args    []string
		mention string
	}{
		{"bits 0", []string{"--bits", "0"}, "--bits"},
		{"bits 9", []string{"--bits", "9"}, "--bits"},
		{"block 0", []string{"--block", "0"}, "--block"},
		{"pcm loss 1", []string{"--pcm-loss", "1"}, "--pcm-loss"},
		{"unknown strategy", []string{"--reorder", "fastest"}, "--reorder"},
		{"scale", []string{"--scale", "channel"}, "--scale"},
		{"headroom below 1", []string{"--scale-headroom", "0.5"}, "--scale-headroom"},
		{"profile missing field", []string{"--device-profile", missing}, "e_down"},
		{"profile negative field", []string{"--device-profile", negative}, "t_down_us"},
		{"unknown device", []string{"--device", "gts"}, "--device: device \"gts\": not a preset"},
		{"device and profile", []string{"--device", "gst", "--device-profile", negative}, "give one"},
		{"negative cores", []string{"--cores", "-1"}, "--cores -1"},
		{"no finetune flag", []string{"--no-finetune=false"}, "--no-finetune"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"optimize", model, "-o", out, "--no-finetune"}, c.args...)
			code, _, stderr := runElight(t, args...)
			if code == 0 || !strings.Contains(stderr, c.mention) {
				t.Errorf("exit %d, stderr %q; want an error naming %s", code, stderr, c.mention)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if !strings.HasSuffix(e.Name(), ".json") {
					t.Errorf("%s was written", e.Name())
				}
			}
		})
	}
	t.Run("output is the input", func(t *testing.T) {
		in := filepath.Join(dir, "model.onnx")
		data, err := os.ReadFile(model)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, flag := range []string{"-o", "--schedule", "--report"} {
			args := []string{"optimize", in, "-o", out, "--no-finetune"}
			if flag == "-o" {
				args[3] = in
			} else {
				args = append(args, flag, in)
			}
			code, _, stderr := runElight(t, args...)
			if code == 0 || !strings.Contains(stderr, "input") {
				t.Errorf("%s = input: exit %d, %q", flag, code, stderr)
			}
			after, _ := os.ReadFile(in)
			if !bytes.Equal(after, data) {
				t.Fatal("the input model changed")
			}
		}
	})
}
