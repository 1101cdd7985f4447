package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"text/tabwriter"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
	"github.com/elight-photonic/elight/report"
	"github.com/spf13/pflag"
)

type verifyFlags struct {
	report string
	seed   int64
}

func verifyCommand() *command {
	var f verifyFlags
	fs := pflag.NewFlagSet("verify", pflag.ContinueOnError)
	fs.StringVar(&f.report, "report", "", "also compare every layer's replayed writes with this report (`OUT.json`)")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the random inputs")
	c := &command{
		name:  "verify",
		usage: "OUT.onnx OUT.sched [--report OUT.json] [--seed N]",
		short: "replay a programming schedule on simulated cores and check it",
		long: `
Verify replays OUT.sched, written by 'elight optimize', on simulated photonic
cores and checks, for every layer:

  - the schedule's levels, dequantized, are exactly the layer's weights in
    OUT.onnx;
  - programming the cores in the schedule's order, with each cell fed the
    input the schedule routes to it, accumulates the same products as the
    layer's quantized matrix times random inputs;
  - the writes, most-written cell, energy and latency counted while
    replaying equal what OUT.onnx's metadata (and the --report, if given)
    recorded.

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
	meta := m.Metadata()
	schedBytes, err := os.ReadFile(schedPath)
	if err != nil {
		return err
	}
	if want := meta["elight.schedule_sha256"]; want == "" {
		return fmt.Errorf("%s has no elight metadata: verify checks models written by 'elight optimize'", modelPath)
	} else if got := digest(schedBytes); got != want {
		return fmt.Errorf("%s is not the schedule written with %s (its SHA-256 is %.12s…, the model records %.12s…)", schedPath, modelPath, got, want)
	}
	sched, err := reorder.ReadSchedule(bytes.NewReader(schedBytes))
	if err != nil {
		return fmt.Errorf("%s: %w", schedPath, err)
	}
	var config report.Config
	if err := json.Unmarshal([]byte(meta["elight.config"]), &config); err != nil {
		return fmt.Errorf("%s: metadata elight.config: %w", modelPath, err)
	}
	profile := reorder.Profile(config.Device)
	var rep *report.Report
	if f.report != "" {
		if rep, err = report.Read(f.report); err != nil {
			return err
		}
	}

	layers := map[string]onnxio.Layer{}
	for _, l := range m.Graph.PhotonicLayers() {
		layers[l.Weight] = l
	}
	rng := rand.New(rand.NewSource(f.seed))
	var total reorder.Stats
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "layer\tweights\tproducts (max rel. error)\twrites (%s)\tmax cell\t\n", sched.Header.Strategy)
	for i, sl := range sched.Layers {
		l, ok := layers[sl.Weight]
		if !ok {
			return fmt.Errorf("%s: layer %q: %s has no photonic layer with weight %q", schedPath, sl.Name, modelPath, sl.Weight)
		}
		weights := l.Matrix(m.Graph.Initializers[sl.Weight])
		if err := sameWeights(sl.Levels, weights); err != nil {
			return fmt.Errorf("layer %q: %w", sl.Name, err)
		}
		relErr, err := checkProducts(sl, weights, rng)
		if err != nil {
			return fmt.Errorf("layer %q: %w", sl.Name, err)
		}
		st, err := reorder.Replay(sl.Levels, sl.Order, profile)
		if err != nil {
			return fmt.Errorf("layer %q: %w", sl.Name, err)
		}
		if rep != nil {
			if err := compareLayer(rep, i, sl, st); err != nil {
				return fmt.Errorf("%s: %w", f.report, err)
			}
		}
		total.Add(st)
		fmt.Fprintf(tw, "%s\tequal\t%.2g\t%d\t%d\t\n", sl.Name, relErr, st.Writes, st.MaxCellWrites)
	}
	var writes report.PerStrategy[int64]
	if err := json.Unmarshal([]byte(meta["elight.writes"]), &writes); err != nil {
		return fmt.Errorf("%s: metadata elight.writes: %w", modelPath, err)
	}
	recorded, err := writes.Get(sched.Header.Strategy)
	if err != nil {
		return err
	}
	if total.Writes != recorded {
		return fmt.Errorf("replaying %s gives %d writes, %s records %d", schedPath, total.Writes, modelPath, recorded)
	}
	fmt.Fprintf(tw, "total\t\t\t%d\t%d\t\n", total.Writes, total.MaxCellWrites)
	tw.Flush()
	fmt.Fprintf(stdout, "ok: %d layers replayed; products, levels and writes match\n", len(sched.Layers))
	return nil
}

// sameWeights checks that the schedule's levels dequantize to exactly the
// weights the annotated model holds.
func sameWeights(lv *quantize.Levels, weights []float32) error {
	deq := lv.Dequantized()
	if len(deq) != len(weights) {
		return fmt.Errorf("schedule has %d levels, the model's weight %d elements", len(deq), len(weights))
	}
	for i := range deq {
		if deq[i] != weights[i] {
			return fmt.Errorf("element [%d, %d]: the schedule's level %d stands for %g, the model holds %g",
				i/lv.Cols, i%lv.Cols, lv.Signed[i], deq[i], weights[i])
		}
	}
	return nil
}

// checkProducts programs each simulated core step by step in the
// schedule's order, feeding every cell the input the schedule routes to it,
// and compares the accumulated outputs with weights times the same random
// input. It returns the largest relative error.
func checkProducts(sl reorder.ScheduleLayer, weights []float32, rng *rand.Rand) (float64, error) {
	lv, o := sl.Levels, sl.Order
	g := o.Grid
	deq := lv.Dequantized()
	x := make([]float64, g.Cols)
	for i := range x {
		x[i] = rng.Float64()*2 - 1
	}
	var worst float64
	for i := 0; i < g.BlockRows(); i++ {
		for a := 0; a < g.K && i*g.K+a < g.Rows; a++ {
			r := i*g.K + a
			var got, want, scale float64
			for b := 0; b < g.K; b++ {
				for _, j := range o.Seq(i, a, b) {
					col := int(j)*g.K + b
					if col < g.Cols {
						got += float64(deq[r*g.Cols+col]) * x[col]
					}
				}
			}
			for col := 0; col < g.Cols; col++ {
				term := float64(weights[r*g.Cols+col]) * x[col]
				want += term
				scale += math.Abs(term)
			}
			if scale == 0 {
				scale = 1
			}
			rel := math.Abs(got-want) / scale
			if rel > 1e-9 {
				return rel, fmt.Errorf("output %d: replayed products sum to %g, the weights give %g", r, got, want)
			}
			worst = max(worst, rel)
		}
	}
	return worst, nil
}

// compareLayer checks layer i of the report against the replayed figures.
func compareLayer(rep *report.Report, i int, sl reorder.ScheduleLayer, st reorder.Stats) error {
	if i >= len(rep.Layers) || rep.Layers[i].Name != sl.Name {
		return fmt.Errorf("layer %d is not %q: the report belongs to another run", i, sl.Name)
	}
	l := &rep.Layers[i]
	s := rep.Strategy
	writes, _ := l.Writes.Get(s)
	maxCell, _ := l.MaxCellWrites.Get(s)
	energy, _ := l.Energy.Get(s)
	latency, _ := l.LatencyUS.Get(s)
	if writes != st.Writes || maxCell != st.MaxCellWrites || !nearlyEqual(energy, st.Energy) || !nearlyEqual(latency, st.LatencyUS) {
		return fmt.Errorf("layer %q: the report records %d writes, max cell %d, energy %g, latency %g us; replaying gives %d, %d, %g, %g",
			sl.Name, writes, maxCell, energy, latency, st.Writes, st.MaxCellWrites, st.Energy, st.LatencyUS)
	}
	return nil
}

func nearlyEqual(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(math.Abs(a), math.Abs(b), 1) }
