package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/elight-photonic/elight/finetune"
	"github.com/elight-photonic/elight/finetune/data"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
	"github.com/elight-photonic/elight/report"
	"github.com/spf13/pflag"
)

type optimizeFlags struct {
	output     string
	schedule   string
	report     string
	noFinetune bool
	bits       int
	block      int
	pcmLoss    float64
	scale      string
	headroom   float64
	strategy   string
	profile    string
	quiet      bool
	tune       tuneFlags
}

func optimizeCommand() *command {
	var f optimizeFlags
	fs := pflag.NewFlagSet("optimize", pflag.ContinueOnError)
	fs.StringVarP(&f.output, "output", "o", "", "where to write the annotated, quantized model (`OUT.onnx`; required)")
	fs.StringVar(&f.schedule, "schedule", "", "where to write the programming schedule (default: OUT.sched)")
	fs.StringVar(&f.report, "report", "", "where to write the JSON report (default: OUT.report.json)")
	fs.BoolVar(&f.noFinetune, "no-finetune", false, "quantize and reorder the pretrained weights as they are, without write-aware fine-tuning")
	fs.IntVar(&f.bits, "bits", 4, "PCM level bits: 2^bits transmission levels per cell (1 to 8)")
	fs.IntVar(&f.block, "block", 64, "photonic core size K: layers are cut into K x K blocks")
	fs.Float64Var(&f.pcmLoss, "pcm-loss", 0.128, "fraction of light one PCM level removes (0 < loss < 1)")
	fs.StringVar(&f.scale, "scale", "tensor", "quantization scale: tensor (one per weight tensor) or row (one per output row, applied electronically at the core's output)")
	fs.Float64Var(&f.headroom, "scale-headroom", 1, "alpha = H x max|w| (H >= 1): above 1 the largest weights stay below the top level and every weight takes fewer levels, so fewer writes")
	fs.StringVar(&f.strategy, "reorder", "cell", "programming order the schedule uses: none, sort, cell, column or block")
	fs.StringVar(&f.profile, "device-profile", "", "JSON device profile (t_up_us, t_down_us, e_up, e_down, endurance); default: the reference's constants")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing on success")
	f.tune.register(fs)
	c := &command{
		name:  "optimize",
		usage: "MODEL.onnx -o OUT.onnx (--data SPEC [--max-drop 0.5] [--budget 30m] [fine-tuning flags] | --no-finetune [--data SPEC]) [--schedule OUT.sched] [--report OUT.json] [--bits 4] [--block 64] [--pcm-loss 0.128] [--scale tensor] [--scale-headroom 1] [--reorder cell] [--device-profile P.json]",
		short: "quantize to PCM levels, reorder programming, and write model, schedule and report",
		long: `
Optimize prepares MODEL.onnx for photonic tensor cores. It folds
BatchNormalization into the preceding Conv/Gemm, log-quantizes every photonic
layer's weights to PCM transmission levels, cuts each layer into K x K blocks,
and counts the PCM writes, the most-written cell, the programming energy and
latency of five programming orders (none, sort, cell, column, block; see the
README), all of them for every layer.

It writes three files, all or none:
  OUT.onnx    the same graph with BatchNorm folded and each photonic weight
              replaced by its quantized values, so any ONNX runtime runs the
              quantized model; metadata_props under "elight." record the
              configuration, the totals and the digests of report and schedule
  OUT.sched   the programming schedule of the --reorder strategy: every cell's
              level at every step and the input it must receive (format in
              the README); 'elight verify' replays it
  OUT.json    the report: per layer and in total, for every strategy
A table of the report goes to standard output.

Before quantizing, optimize fine-tunes the model on --data: the PCM
quantizer sits in the forward pass (its gradient passes straight through)
and lambda (--diff-weight) times a write-aware loss pulls the weights
toward fewer writes (--diff-loss cell: the writes of the cell order;
l1/l2: ELight's distance of each block to a reference block).

By default it searches: it holds --validation training images out (seeded
by --seed, never trained on), measures the float model on them, and trains
in segments of --segment-steps steps, each a warm restart of the learning
rate (Adam, --lr 1e-3, the first segment warming up over --warmup 50
steps). After each segment it quantizes the model and measures its
validation top-1 and writes; lambda doubles while the accuracy stays within
--max-drop points of the float model's and falls when it does not, closing
in on the largest lambda the budget admits. When --budget (the whole run)
or --segments runs out, the checkpoint with the fewest writes that kept the
accuracy is written; if none did, nothing is written, the exit status is 1
and the message names the closest checkpoint and the --max-drop that would
admit it. The report lists every checkpoint and the replay flags: the
run's flags with --diff-weight-schedule L1,L2,... in place of the search's
train the chosen model again, byte for byte, without a search.

--steps or --epochs train once at a fixed lambda instead (the reference's
defaults: --diff-loss l2 --diff-ref meanR --diff-weight 10 --lr 1e-4).
The task loss is cross-entropy on the labels, or, with --distill or
unlabeled data, distillation from the float model's logits. Top-1 accuracy
of the float model, of the quantized model before fine-tuning and after it,
measured on the test split (which never steers the search), and the writes
before fine-tuning go into the report. With --no-finetune, the pretrained
weights are quantized as they are (and --data, if given, only measures
accuracy).
` + dataSpecHelp + `

Progress goes to standard error as a bar with ETA, the losses and the cell
order's writes of the current weights, and a line per segment of the
search (--log-json: JSON lines on standard output, each step with
task_loss, write_loss, cell_writes, batch_accuracy and seconds, each
segment with diff_weight, validation_top1, writes and met; --quiet:
nothing). Ctrl-C stops the run and writes nothing.`,
		example: "\telight optimize testdata/vgg8/vgg8_bn_op13.onnx -o vgg8_q.onnx --report vgg8_q.json --no-finetune --bits 4 --block 64\n" +
			"\telight optimize testdata/vgg8/vgg8_bn_op13.onnx -o vgg8_ft.onnx --data idx:/usr/share/datasets/fashion-mnist \\\n" +
			"\t    --pad 2 --channels 3 --mean 0.2190 --std 0.3318 --max-drop 0.5 --budget 30m",
		flags: fs,
	}
	c.run = func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return runOptimize(ctx, args, &f, stdout, stderr)
	}
	return c
}

// optimizeConfig is the validated form of the flags.
type optimizeConfig struct {
	quant    quantize.Config
	block    int
	strategy reorder.Strategy
	profile  reorder.Profile
}

func (f *optimizeFlags) validate(model string) (optimizeConfig, error) {
	var c optimizeConfig
	if !f.noFinetune && f.tune.data.spec == "" {
		return c, usageError("fine-tuning needs --data (the images to train on); or pass --no-finetune to quantize the pretrained weights as they are")
	}
	if !f.noFinetune {
		if err := f.tune.applyModeDefaults(); err != nil {
			return c, err
		}
	}
	if f.tune.data.spec != "" {
		if _, _, err := f.tune.data.preprocess(); err != nil {
			return c, err
		}
	}
	if f.output == "" {
		return c, usageError("no -o/--output given: name the annotated model to write")
	}
	if f.schedule == "" {
		f.schedule = strings.TrimSuffix(f.output, filepath.Ext(f.output)) + ".sched"
	}
	if f.report == "" {
		f.report = strings.TrimSuffix(f.output, filepath.Ext(f.output)) + ".report.json"
	}
	if f.scale != "tensor" && f.scale != "row" {
		return c, usageError("--scale %q: want tensor or row", f.scale)
	}
	c.quant = quantize.Config{Bits: f.bits, PCMLoss: f.pcmLoss, PerRow: f.scale == "row", Headroom: f.headroom}
	if err := c.quant.Validate(); err != nil {
		return c, usageError("--bits %d --pcm-loss %g --scale-headroom %g: %v", f.bits, f.pcmLoss, f.headroom, err)
	}
	if f.block < 1 || f.block > reorder.MaxBlock {
		return c, usageError("--block %d: the core size must be between 1 and %d", f.block, reorder.MaxBlock)
	}
	c.block = f.block
	var err error
	if c.strategy, err = reorder.ParseStrategy(f.strategy); err != nil {
		return c, usageError("--reorder: %v", err)
	}
	c.profile = reorder.DefaultProfile()
	if f.profile != "" {
		if c.profile, err = reorder.LoadProfile(f.profile); err != nil {
			return c, fmt.Errorf("--device-profile: %w", err)
		}
	}
	outputs := map[string]string{}
	for flag, path := range map[string]string{"--output": f.output, "--schedule": f.schedule, "--report": f.report} {
		abs, err := filepath.Abs(path)
		if err != nil {
			return c, usageError("%s %s: %v", flag, path, err)
		}
		if same, _ := sameFile(path, model); same {
			return c, usageError("%s %s is the input model; choose another path (elight never overwrites its input)", flag, path)
		}
		if info, err := os.Stat(filepath.Dir(abs)); err != nil || !info.IsDir() {
			return c, usageError("%s %s: folder %s does not exist; create it first, so that a long run does not end unable to write", flag, path, filepath.Dir(path))
		}
		if other, dup := outputs[abs]; dup {
			return c, usageError("%s and %s both name %s; give each output its own path", other, flag, path)
		}
		outputs[abs] = flag
	}
	return c, nil
}

// sameFile reports whether a and b name one file (or, if a does not exist
// yet, the same path).
func sameFile(a, b string) (bool, error) {
	absA, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	absB, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	if absA == absB {
		return true, nil
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb), nil
}

func runOptimize(ctx context.Context, args []string, f *optimizeFlags, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usageError("want exactly one MODEL.onnx argument, got %d", len(args))
	}
	start := time.Now()
	modelPath := args[0]
	cfg, err := f.validate(modelPath)
	if err != nil {
		return err
	}
	source, err := os.ReadFile(modelPath)
	if err != nil {
		return err
	}
	// Each stage gets its own copy of the model: the float one, the one
	// quantized before fine-tuning, and the one trained and quantized.
	load := func() (*onnxio.Model, error) {
		m, err := onnxio.Parse(source, filepath.Dir(modelPath))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", modelPath, err)
		}
		m.Path = modelPath
		_, err = onnxio.FoldBatchNorm(m)
		return m, err
	}
	m, err := load()
	if err != nil {
		return err
	}
	var session *tuneSession
	var acc *report.Accuracy
	var tuned *report.Finetune
	var train finetune.Config
	progressTo := stderr
	if f.tune.logJSON {
		progressTo = stdout
	}
	if f.tune.data.spec != "" {
		if session, err = f.tune.openData(m, !f.noFinetune); err != nil {
			return err
		}
		if !f.noFinetune {
			if train, err = f.tune.trainConfig(cfg.quant, cfg.block, session.train.Len()); err != nil {
				return err
			}
		}
	}
	prog := newProgress(progressTo, train.Steps, f.tune.logJSON, f.quiet)
	var deadline time.Time
	if session != nil {
		acc = &report.Accuracy{Samples: session.eval.Len()}
		evalStart := time.Now()
		if acc.Float, err = session.accuracy(ctx, m); err != nil {
			return err
		}
		prog.event("accuracy", map[string]any{"model": "float", "top1": acc.Float, "n": acc.Samples})
		// The search stops in time to measure and write the chosen
		// model: one more pass over the test images, and a margin.
		deadline = start.Add(f.tune.budget - time.Since(evalStart) - 15*time.Second)
	}
	if !f.noFinetune {
		if tuned, acc.Quantized, err = finetuneModel(ctx, &f.tune, cfg, train, session, m, load, prog, deadline); err != nil {
			return err
		}
	}
	rep, sched, err := optimizeLayers(ctx, m, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", modelPath, err)
	}
	if acc != nil {
		q, err := session.accuracy(ctx, m)
		if err != nil {
			return err
		}
		if tuned != nil {
			acc.Finetuned = &q
			prog.event("accuracy", map[string]any{"model": "fine-tuned, quantized", "top1": q, "n": acc.Samples})
		} else {
			acc.Quantized = q
			prog.event("accuracy", map[string]any{"model": "quantized", "top1": q, "n": acc.Samples})
		}
	}
	rep.Accuracy, rep.Finetune = acc, tuned
	rep.Config.Finetune = tuned != nil
	rep.Model = modelPath
	rep.ModelSHA256 = digest(source)
	sched.Header.Model = rep.ModelSHA256

	var schedBytes bytes.Buffer
	if _, err := sched.WriteTo(&schedBytes); err != nil {
		return err
	}
	reportBytes, err := rep.Marshal()
	if err != nil {
		return err
	}
	annotate(m, rep, digest(reportBytes), digest(schedBytes.Bytes()))
	modelBytes, err := onnxio.Marshal(m)
	if err != nil {
		return fmt.Errorf("%s: %w", f.output, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted; nothing written")
	}
	files := map[string][]byte{f.output: modelBytes, f.schedule: schedBytes.Bytes(), f.report: reportBytes}
	if err := onnxio.WriteFilesAtomic(files, modelPath); err != nil {
		return err
	}
	chosen, _ := rep.Totals.Writes.Get(rep.Strategy)
	prog.event("written", map[string]any{"model": f.output, "schedule": f.schedule, "report": f.report, "strategy": rep.Strategy, "writes": chosen})
	if f.quiet || f.tune.logJSON {
		return nil
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s, %s, %s\n", f.output, f.schedule, f.report)
	return nil
}

// finetuneModel measures the quantized pretrained model (its writes and
// accuracy, for the report), then trains m in place: a search for the
// fewest writes within the accuracy budget, a fixed schedule of segments,
// or one fixed run.
func finetuneModel(ctx context.Context, f *tuneFlags, cfg optimizeConfig, train finetune.Config, session *tuneSession,
	m *onnxio.Model, load func() (*onnxio.Model, error), prog *progress, deadline time.Time) (*report.Finetune, float64, error) {
	before, err := load()
	if err != nil {
		return nil, 0, err
	}
	beforeReport, _, err := optimizeLayers(ctx, before, cfg)
	if err != nil {
		return nil, 0, err
	}
	quantized, err := session.accuracy(ctx, before)
	if err != nil {
		return nil, 0, err
	}
	prog.event("accuracy", map[string]any{"model": "quantized before fine-tuning", "top1": quantized, "n": session.eval.Len()})
	st, err := session.stream(f.data.seed, f.distill)
	if err != nil {
		return nil, 0, err
	}
	summary := finetuneSummary(f, train, session, beforeReport)
	switch {
	case f.searching():
		if summary.Search, err = searchModel(ctx, f, cfg, train, session, m, load, st, prog, deadline); err != nil {
			return nil, 0, err
		}
		summary.Steps, summary.Lambda = 0, 0
		for _, c := range summary.Search.Checkpoints[1 : summary.Search.Chosen+1] {
			summary.LambdaSchedule = append(summary.LambdaSchedule, c.Lambda)
			summary.Steps += c.Steps
		}
	case len(f.lambdaSchedule) > 0:
		summary.LambdaSchedule, summary.Steps, summary.Lambda = f.lambdaSchedule, train.Steps*len(f.lambdaSchedule), 0
		err = finetune.TrainSchedule(ctx, m, st, train, f.lambdaSchedule, prog.step)
	default:
		err = finetune.Train(ctx, m, st, train, prog.step)
	}
	if errors.Is(err, finetune.ErrInterrupted) {
		return nil, 0, fmt.Errorf("interrupted during fine-tuning; nothing written")
	}
	if err != nil {
		return nil, 0, err
	}
	return summary, quantized, nil
}

// searchModel runs the accuracy-driven search: it keeps in m the weights
// with the fewest writes of the chosen strategy whose quantized model stays
// within --max-drop of the float model on the validation images.
func searchModel(ctx context.Context, f *tuneFlags, cfg optimizeConfig, train finetune.Config, session *tuneSession,
	m *onnxio.Model, load func() (*onnxio.Model, error), st *data.Stream, prog *progress, deadline time.Time) (*report.Search, error) {
	float, err := session.validationAccuracy(ctx, m)
	if err != nil {
		return nil, err
	}
	rec := &report.Search{MaxDrop: f.maxDrop, Budget: f.budget.String(), ValidationFloat: float, MinValidation: float - f.maxDrop/100}
	prog.event("accuracy", map[string]any{"model": "float, validation", "top1": float, "n": session.validation.Len()})
	measure := func(ctx context.Context, store func(*onnxio.Model)) (finetune.Measurement, error) {
		q, err := load()
		if err != nil {
			return finetune.Measurement{}, err
		}
		store(q)
		rep, _, err := optimizeLayers(ctx, q, cfg)
		if err != nil {
			return finetune.Measurement{}, err
		}
		var meas finetune.Measurement
		meas.Writes, _ = rep.Totals.Writes.Get(string(cfg.strategy))
		meas.MaxCellWrites, _ = rep.Totals.MaxCellWrites.Get(string(cfg.strategy))
		meas.Accuracy, err = session.validationAccuracy(ctx, q)
		return meas, err
	}
	sc := finetune.SearchConfig{Train: train, MinAccuracy: rec.MinValidation, Segments: f.segments, Deadline: deadline}
	res, err := finetune.Search(ctx, m, st, sc, measure, prog.step, prog.segment)
	if err != nil {
		return nil, err
	}
	rec.Chosen, rec.Stopped = res.Chosen, res.Stopped
	rec.Checkpoints = append(rec.Checkpoints, checkpointRecord(finetune.Segment{Measurement: res.Pretrained, Met: res.Pretrained.Accuracy >= rec.MinValidation}))
	for _, s := range res.Segments {
		rec.Checkpoints = append(rec.Checkpoints, checkpointRecord(s))
	}
	if res.Chosen < 0 {
		i, closest := res.Closest()
		drop := (float - closest.Accuracy) * 100
		return nil, fmt.Errorf("no model kept validation top-1 within --max-drop %g points of the float model's %.2f%% (%d segments, stopped by %s): the closest, checkpoint %d, reached %.2f%% with %d writes, a drop of %.2f points, which --max-drop %.2f would admit; nothing written",
			f.maxDrop, float*100, len(res.Segments), res.Stopped, i, closest.Accuracy*100, closest.Writes, drop, math.Ceil(drop*100)/100)
	}
	lambdas := res.Lineage(res.Chosen)
	if len(lambdas) == 0 {
		rec.Replay = "--no-finetune"
	} else {
		rec.Replay = fmt.Sprintf("--diff-weight-schedule %s --segment-steps %d --warmup %d --validation %d --seed %d --lr %g --diff-loss %s",
			(*float64List)(&lambdas).String(), train.Steps, train.Warmup, session.validation.Len(), f.data.seed, train.LR, train.Norm)
	}
	prog.event("chosen", map[string]any{"checkpoint": res.Chosen, "stopped": res.Stopped, "replay_flags": rec.Replay})
	return rec, nil
}

func checkpointRecord(s finetune.Segment) report.Checkpoint {
	return report.Checkpoint{Index: s.Index, Lambda: s.Lambda, Steps: s.Steps,
		Validation: s.Accuracy, Writes: s.Writes, MaxCellWrites: s.MaxCellWrites, Met: s.Met}
}

// optimizeLayers quantizes every photonic layer of m in place (m's weights
// become the dequantized levels), accounts every strategy, and returns the
// report and the schedule of the chosen strategy.
func optimizeLayers(ctx context.Context, m *onnxio.Model, cfg optimizeConfig) (*report.Report, *reorder.Schedule, error) {
	layers := m.Graph.PhotonicLayers()
	if len(layers) == 0 {
		return nil, nil, fmt.Errorf("no Conv, Gemm or MatMul layer with a constant weight: nothing maps onto photonic cores")
	}
	rep := &report.Report{
		FormatVersion: report.FormatVersion,
		Config: report.Config{
			Bits: cfg.quant.Bits, Block: cfg.block, PCMLoss: cfg.quant.PCMLoss, Scale: "tensor", ScaleHeadroom: cfg.quant.ScaleFactor(),
			Device: report.Device(cfg.profile),
		},
		Strategy: string(cfg.strategy),
	}
	if cfg.quant.PerRow {
		rep.Config.Scale = "row"
		rep.Notes = append(rep.Notes, "scale is per output row: each row's scale is applied electronically at the core's output")
	}
	sched := &reorder.Schedule{Header: reorder.ScheduleHeader{
		Strategy: string(cfg.strategy), Block: cfg.block, Bits: cfg.quant.Bits, PCMLoss: cfg.quant.PCMLoss, PerRowScale: cfg.quant.PerRow,
	}}
	for _, l := range layers {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("interrupted; nothing written")
		}
		w := m.Graph.Initializers[l.Weight]
		lv, err := quantize.Quantize(l.Matrix(w), l.Rows, l.Cols, cfg.quant)
		if err != nil {
			return nil, nil, fmt.Errorf("layer %q weight %q: %w", l.Node.Name, l.Weight, err)
		}
		part, err := reorder.Partition(lv, cfg.block)
		if err != nil {
			return nil, nil, fmt.Errorf("layer %q: %w", l.Node.Name, err)
		}
		rl := report.Layer{
			Name: l.Node.Name, Op: l.Node.OpType, Weight: l.Weight, Rows: l.Rows, Cols: l.Cols,
			BlockRows: part.BlockRows(), BlockCols: part.BlockCols(),
		}
		for _, order := range reorder.PlanAll(part) {
			st, err := reorder.Account(part, order, cfg.profile)
			if err != nil {
				return nil, nil, fmt.Errorf("layer %q, strategy %s: %w", l.Node.Name, order.Strategy, err)
			}
			s := string(order.Strategy)
			rl.Writes.Set(s, st.Writes)
			rl.MaxCellWrites.Set(s, st.MaxCellWrites)
			rl.Energy.Set(s, st.Energy)
			rl.LatencyUS.Set(s, st.LatencyUS)
			if order.Strategy == reorder.Cell {
				rl.ColumnLowerBound = st.Writes
			}
			if order.Strategy == cfg.strategy {
				sched.Layers = append(sched.Layers, reorder.ScheduleLayer{Name: l.Node.Name, Weight: l.Weight, Levels: lv, Order: order})
			}
		}
		rep.Layers = append(rep.Layers, rl)
		m.SetInitializer(&onnxio.Tensor{Name: l.Weight, DataType: onnxio.Float, Dims: w.Dims, Float: l.FromMatrix(lv.Dequantized())})
	}
	rep.Sum()
	return rep, sched, nil
}

// annotate records the configuration, totals and digests in the model's
// metadata_props, under the "elight." prefix.
func annotate(m *onnxio.Model, rep *report.Report, reportDigest, scheduleDigest string) {
	config, _ := json.Marshal(rep.Config)
	writes, _ := json.Marshal(rep.Totals.Writes)
	maxCell, _ := rep.Totals.MaxCellWrites.Get(rep.Strategy)
	energy, _ := rep.Totals.Energy.Get(rep.Strategy)
	latency, _ := rep.Totals.LatencyUS.Get(rep.Strategy)
	for _, kv := range [][2]string{
		{"elight.format_version", fmt.Sprint(report.FormatVersion)},
		{"elight.config", string(config)},
		{"elight.strategy", rep.Strategy},
		{"elight.layers", fmt.Sprint(len(rep.Layers))},
		{"elight.writes", string(writes)},
		{"elight.max_cell_writes", fmt.Sprint(maxCell)},
		{"elight.energy", fmt.Sprint(energy)},
		{"elight.latency_us", fmt.Sprint(latency)},
		{"elight.source_sha256", rep.ModelSHA256},
		{"elight.report_sha256", reportDigest},
		{"elight.schedule_sha256", scheduleDigest},
	} {
		m.SetMetadata(kv[0], kv[1])
	}
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
