package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/elight-photonic/elight"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
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
	device     string
	cores      int
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
	fs.StringVar(&f.device, "device", "reference", "PCM cell: a preset (reference, gst, gsst, gsse, sb2se3; sources in the README) or a JSON `profile` file (t_up_us, t_down_us, e_up, e_down, endurance)")
	fs.StringVar(&f.profile, "device-profile", "", "JSON device profile `file`, as --device FILE.json")
	fs.IntVar(&f.cores, "cores", 0, "lay the whole model out on a chip of `N` physical cores, wear-levelled, and schedule that (0: every layer has cores of its own, as in the paper)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing on success")
	f.tune.register(fs)
	c := &command{
		name:  "optimize",
		usage: "MODEL.onnx -o OUT.onnx (--data SPEC [--max-drop 0.5] [--budget 30m] [fine-tuning flags] | --no-finetune [--data SPEC]) [--schedule OUT.sched] [--report OUT.json] [--bits 4] [--block 64] [--pcm-loss 0.128] [--scale tensor] [--scale-headroom 1] [--reorder cell] [--device NAME|P.json] [--cores N]",
		short: "quantize to PCM levels, reorder programming, and write model, schedule and report",
		long: fmt.Sprintf(`
Optimize prepares MODEL.onnx for photonic tensor cores. It folds
BatchNormalization into the preceding Conv/Gemm, log-quantizes every photonic
layer's weights to PCM transmission levels, cuts each layer into K x K blocks,
and counts the PCM writes, the most-written cell, the programming energy and
latency of five programming orders (none, sort, cell, column, block; see the
README), all of them for every layer, and how many inferences the
--device's cells endure: each inference reprograms every block.

With --cores N the model runs on a chip of N physical cores: every layer's
block rows are assigned to cores and programmed one after another, a cell
keeping its level from block to block, layer to layer and inference to
inference. optimize assigns them naively (block row i on core i mod N) and
wear-levelled (heaviest block rows first, each to the core and row rotation
that leave its most-written cell least written; never worse than naive),
reports both, and schedules the levelled plan.

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
rate (Adam, --lr %[1]g, the first segment warming up over --warmup %[2]d
steps). After each segment it quantizes the model and measures its
validation top-1 and writes; lambda doubles while the accuracy stays within
--max-drop points of the float model's and falls when it does not, closing
in on the largest lambda the budget admits (its factor shrinks at each
change of direction and grows again, up to 2, while the direction holds).
When the budget holds fewer than about %[3]d segments (estimated from how
long measuring the float model took), too few to win back what a bold
first segment costs, the search starts cautiously: --lr %[4]g, distilling
from the float model's logits; --lr or --distill given keep their values.
A segment that loses more than half the validation accuracy it started
from has diverged: it is dropped, and the next trains again from where it
started, data included, at half the learning rate. When --budget (the whole run) or --segments runs out, the checkpoint with
the fewest writes that kept the accuracy is written; if none did, nothing
is written, the exit status is 1 and the message names the closest
checkpoint and the --max-drop that would admit it. The report lists every checkpoint and the replay flags: the
run's flags with --diff-weight-schedule L1,L2,... in place of the search's
(and --segment-lr R1,R2,... after a divergence) train the chosen model
again, byte for byte, without a search.

--steps or --epochs train once at a fixed lambda instead (the reference's
defaults: --diff-loss %[5]s --diff-ref meanR --diff-weight %[6]g --lr %[7]g).
The task loss is cross-entropy on the labels, or, with --distill or
unlabeled data, distillation from the float model's logits. Top-1 accuracy
of the float model, of the quantized model before fine-tuning (not with a
search, whose checkpoint 0 is that model on validation images) and after
it, measured on the test split (which never steers the search), and the
writes before fine-tuning go into the report. With --no-finetune, the pretrained
weights are quantized as they are (and --data, if given, only measures
accuracy).
`, searchDefaults.lr, searchDefaults.warmup, elight.CautiousSegments, elight.CautiousLR,
			fixedDefaults.loss, fixedDefaults.lambda, fixedDefaults.lr) + dataSpecHelp + `

Progress goes to standard error: on a terminal as a bar with ETA, the
losses and the cell order's writes of the current weights; elsewhere (a
log file, a pipe) as a line at every tenth of the run or segment; and a
line per segment of the search. --log-json writes JSON lines to standard
output instead, each step with task_loss, write_loss, cell_writes,
batch_accuracy and seconds, each segment with diff_weight, lr,
validation_top1, writes, met and diverged; --quiet writes nothing.
Ctrl-C stops the run and writes nothing.`,
		example: "\telight optimize testdata/vgg8/vgg8_bn_op13.onnx -o vgg8_q.onnx --report vgg8_q.json --no-finetune --bits 4 --block 64\n" +
			"\telight optimize testdata/vgg8/vgg8_bn_op13.onnx -o vgg8_ft.onnx --data idx:/usr/share/datasets/fashion-mnist \\\n" +
			"\t    --pad 2 --channels 3 --mean 0.2190 --std 0.3318 --max-drop 0.5 --budget 30m\n" +
			"\telight optimize testdata/resnet/resnet_bnfold_op13.onnx -o resnet_q.onnx --no-finetune --device gst --cores 8",
		flags: fs,
	}
	c.run = func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return runOptimize(ctx, args, &f, stdout, stderr)
	}
	return c
}

// validate checks the flags and returns the hardware they describe.
func (f *optimizeFlags) validate(model string) (elight.Hardware, error) {
	var c elight.Hardware
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
	c.Quant = quantize.Config{Bits: f.bits, PCMLoss: f.pcmLoss, PerRow: f.scale == "row", Headroom: f.headroom}
	if err := c.Quant.Validate(); err != nil {
		return c, usageError("--bits %d --pcm-loss %g --scale-headroom %g: %v", f.bits, f.pcmLoss, f.headroom, err)
	}
	if f.block < 1 || f.block > reorder.MaxBlock {
		return c, usageError("--block %d: the core size must be between 1 and %d", f.block, reorder.MaxBlock)
	}
	c.Block = f.block
	var err error
	if c.Strategy, err = reorder.ParseStrategy(f.strategy); err != nil {
		return c, usageError("--reorder: %v", err)
	}
	device, flag := f.device, "--device"
	if f.profile != "" && f.device != "reference" {
		return c, usageError("--device %s and --device-profile %s: give one", f.device, f.profile)
	}
	if f.profile != "" {
		device, flag = f.profile, "--device-profile"
	}
	if c.Profile, err = reorder.LookupDevice(device); err != nil {
		return c, usageError("%s: %v", flag, err)
	}
	if f.cores < 0 || f.cores > reorder.MaxCores {
		return c, usageError("--cores %d: want 1 to %d physical cores, or 0 for cores of each layer's own", f.cores, reorder.MaxCores)
	}
	c.Cores = f.cores
	outputs := map[string]string{}
	for _, out := range [][2]string{{"--output", f.output}, {"--schedule", f.schedule}, {"--report", f.report}} {
		flag, path := out[0], out[1]
		abs, err := filepath.Abs(path)
		if err != nil {
			return c, usageError("%s %s: %v", flag, path, err)
		}
		if onnxio.SameFile(path, model) {
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

func runOptimize(ctx context.Context, args []string, f *optimizeFlags, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usageError("want exactly one MODEL.onnx argument, got %d", len(args))
	}
	modelPath := args[0]
	hw, err := f.validate(modelPath)
	if err != nil {
		return err
	}
	collectOften()
	source, err := os.ReadFile(modelPath)
	if err != nil {
		return err
	}
	run := elight.Run{Source: source, Path: modelPath, Hardware: hw}
	steps := 0
	if f.tune.data.spec != "" {
		m, err := onnxio.Parse(source, filepath.Dir(modelPath))
		if err != nil {
			return fmt.Errorf("%s: %w", modelPath, err)
		}
		m.Path = modelPath
		// Checked now, not after a long fine-tuning run: a model over 2 GiB
		// is written with its weights in OUTPUT.data.
		for _, in := range m.DataFiles {
			if onnxio.SameFile(f.output+".data", in) {
				return usageError("--output %s puts the weights of a model over 2 GiB in %s, the input model's external data; choose another path (elight never overwrites its input)", f.output, in)
			}
		}
		if run.Images, err = f.tune.openData(m, !f.noFinetune); err != nil {
			return err
		}
		if !f.noFinetune {
			if run.Training, err = f.tune.training(hw, run.Images.Train.Len()); err != nil {
				return err
			}
			steps = run.Training.Config.Steps
		}
	}
	progressTo := stderr
	if f.tune.logJSON {
		progressTo = stdout
	}
	prog := newProgress(progressTo, steps, f.tune.logJSON, f.quiet)
	run.Observer = prog
	res, err := elight.Optimize(ctx, run)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return elight.ErrInterrupted
	}
	if err := res.WriteFiles(ctx, f.output, f.schedule, f.report, modelPath); err != nil {
		return err
	}
	rep := res.Report
	chosen := rep.Totals.Writes.Get(rep.Strategy)
	prog.event("written", map[string]any{"model": f.output, "schedule": f.schedule, "report": f.report, "strategy": rep.Strategy, "writes": chosen})
	if f.quiet || f.tune.logJSON {
		return nil
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if data := onnxio.ExternalDataPath(f.output, res.Model); data != "" {
		fmt.Fprintf(stdout, "wrote %s (weights in %s), %s, %s\n", f.output, data, f.schedule, f.report)
		return nil
	}
	fmt.Fprintf(stdout, "wrote %s, %s, %s\n", f.output, f.schedule, f.report)
	return nil
}

// collectOften makes the garbage collector run when the heap has grown by
// a quarter rather than doubled, unless GOGC says otherwise. optimize's
// heap is nearly all pointer-free weight buffers (the file's bytes, the
// weights, levels, orders), which the collector does not scan: collecting
// more often costs little CPU, while the default lets a VGG16's 1.2 GB of
// live buffers take 2 GB and more.
func collectOften() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
}
