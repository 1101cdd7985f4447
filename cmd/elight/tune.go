package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/elight-photonic/elight"
	"github.com/elight-photonic/elight/finetune"
	"github.com/elight-photonic/elight/finetune/data"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/report"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
)

// tuneFlags configure write-aware fine-tuning and the accuracy measurements
// around it.
type tuneFlags struct {
	data        dataFlags
	epochs      float64
	steps       int
	batch       int
	diffWeight  float64
	diffLoss    string
	diffRef     string
	optimizer   string
	lr          float64
	momentum    float64
	weightDecay float64
	schedule    string
	warmup      int
	temperature float64
	distill     bool
	calibration int
	evalLimit   int
	logJSON     bool

	// the accuracy-driven search and training in segments
	maxDrop        float64
	budget         time.Duration
	validation     int
	segmentSteps   int
	segments       int
	lambdaSchedule []float64
	segmentLR      []float64
	changed        func(flag string) bool
}

// modeDefaults are the flags whose defaults depend on whether the run
// searches or trains at a fixed lambda.
type modeDefaults struct {
	lr         float64
	loss       string
	lambda     float64
	warmup     int
	validation int
}

var (
	// searchDefaults: the cell loss aims at the writes the default order
	// needs, and Adam at 1e-3 moves weights far enough in a few thousand
	// steps (at 1e-4 no lambda took the bundled ResNet to 20x in half an
	// hour); the warmup keeps the first steps from undoing the pretrained
	// accuracy.
	searchDefaults = modeDefaults{lr: 1e-3, loss: "cell", lambda: 0.25, warmup: 50, validation: 5000}
	// fixedDefaults are the reference's.
	fixedDefaults = modeDefaults{lr: 1e-4, loss: "l2", lambda: 10}
)

// setDefaults gives the flags the user left alone the mode's defaults.
func (f *tuneFlags) setDefaults(d modeDefaults) {
	for flag, set := range map[string]func(){
		"lr":          func() { f.lr = d.lr },
		"diff-loss":   func() { f.diffLoss = d.loss },
		"diff-weight": func() { f.diffWeight = d.lambda },
		"warmup":      func() { f.warmup = d.warmup },
		"validation":  func() { f.validation = d.validation },
	} {
		if !f.changed(flag) {
			set()
		}
	}
}

func (f *tuneFlags) register(fs *pflag.FlagSet) {
	f.data.register(fs)
	fs.Float64Var(&f.epochs, "epochs", 1, "passes over the training images (fractions allowed); --steps overrides it")
	fs.IntVar(&f.steps, "steps", 0, "optimizer steps to train for, instead of --epochs")
	fs.IntVar(&f.batch, "batch", 32, "images per training step")
	fs.Float64Var(&f.diffWeight, "diff-weight", 0, fmt.Sprintf("lambda: weight of the write-aware loss against the task loss, 0 for quantization-aware training only (default: the search starts at %g; --steps/--epochs train at %g)", searchDefaults.lambda, fixedDefaults.lambda))
	fs.StringVar(&f.diffLoss, "diff-loss", "", fmt.Sprintf("write-aware loss: l1 (signed levels) or l2 (pos and neg arrays) against --diff-ref, or cell (the writes of the cell order; no reference) (default: %s with the search, %s with --steps/--epochs)", searchDefaults.loss, fixedDefaults.loss))
	fs.StringVar(&f.diffRef, "diff-ref", "meanR", "reference block: meanR (mean block of the row), meanG (of the layer) or neighbor (previous block)")
	fs.StringVar(&f.optimizer, "optimizer", "adam", "sgd (with momentum) or adam (decoupled weight decay)")
	fs.Float64Var(&f.lr, "lr", 0, fmt.Sprintf("peak learning rate (default: %g with the search; %g when it starts cautiously; %g with --steps/--epochs)", searchDefaults.lr, elight.CautiousLR, fixedDefaults.lr))
	fs.Float64Var(&f.momentum, "momentum", 0.9, "momentum of sgd")
	fs.Float64Var(&f.weightDecay, "weight-decay", 0, "weight decay")
	fs.StringVar(&f.schedule, "lr-schedule", "cosine", "learning-rate schedule: cosine (decay to 0) or constant")
	fs.IntVar(&f.warmup, "warmup", 0, fmt.Sprintf("raise the learning rate linearly over the first `N` steps, then follow --lr-schedule over the rest (default: %d with the search, %d with --steps/--epochs)", searchDefaults.warmup, fixedDefaults.warmup))
	fs.Float64Var(&f.temperature, "temperature", 4, "softening temperature of distillation")
	fs.BoolVar(&f.distill, "distill", false, "learn from the float model's logits even when the data has labels (a search that starts cautiously does, unless --distill=false)")
	fs.IntVar(&f.calibration, "calibration", 0, "train on a seeded random subset of `N` training images (0: all)")
	fs.IntVar(&f.evalLimit, "eval-limit", 0, "measure accuracy on the first `N` test images (0: all)")
	fs.BoolVar(&f.logJSON, "log-json", false, "print progress as JSON objects, one per line, instead of a progress bar and tables")
	fs.Float64Var(&f.maxDrop, "max-drop", 0.5, "accuracy budget of the search: validation top-1 may fall at most `P` percentage points below the float model's")
	fs.DurationVar(&f.budget, "budget", 30*time.Minute, "wall-clock budget of the whole run with the search (e.g. 20m, 1h30m); the best model that met --max-drop by then is written")
	fs.IntVar(&f.validation, "validation", 0, fmt.Sprintf("hold `N` training images out of training to measure accuracy on (search default: %d, at most a tenth of the training images)", searchDefaults.validation))
	fs.IntVar(&f.segmentSteps, "segment-steps", 200, "steps of each training segment, a warm restart of the learning-rate schedule (search and --diff-weight-schedule)")
	fs.IntVar(&f.segments, "segments", 0, "stop the search after `N` segments (0: when --budget runs out)")
	fs.Var((*floatList[float64])(&f.lambdaSchedule), "diff-weight-schedule", "train one segment per lambda `l1,l2,...` instead of searching: the replay of a search's result")
	fs.Var((*floatList[float64])(&f.segmentLR), "segment-lr", "peak learning rate of each segment of --diff-weight-schedule, `r1,r2,...` (default: --lr for all), where a search halved it after a diverged segment")
	f.changed = fs.Changed
}

// searching reports whether the run searches for lambda and the training
// length: it does unless flags fix them.
func (f *tuneFlags) searching() bool {
	return !f.changed("steps") && !f.changed("epochs") && !f.changed("diff-weight-schedule")
}

// applyModeDefaults checks the flags that belong to one mode and gives
// the search its own defaults for the flags the user left alone.
func (f *tuneFlags) applyModeDefaults() error {
	if f.changed("segment-lr") && !f.changed("diff-weight-schedule") {
		return usageError("--segment-lr gives the learning rate of each segment of --diff-weight-schedule; add that flag or drop this one")
	}
	if !f.searching() {
		for _, flag := range []string{"max-drop", "budget", "segments"} {
			if f.changed(flag) {
				return usageError("--%s belongs to the search, which --steps, --epochs and --diff-weight-schedule turn off; drop one or the other", flag)
			}
		}
		if f.changed("diff-weight-schedule") && (f.changed("steps") || f.changed("epochs") || f.changed("diff-weight")) {
			return usageError("--diff-weight-schedule sets lambda and the length of training; drop --steps, --epochs and --diff-weight")
		}
		f.setDefaults(fixedDefaults)
		return nil
	}
	if !(f.maxDrop >= 0 && f.maxDrop < 100) {
		return usageError("--max-drop %g: want percentage points between 0 and 100", f.maxDrop)
	}
	if f.budget <= 0 {
		return usageError("--budget %v: want a positive duration such as 30m", f.budget)
	}
	if f.segments < 0 {
		return usageError("--segments %d: want 0 (until --budget runs out) or more", f.segments)
	}
	f.setDefaults(searchDefaults)
	return nil
}

// openData opens --data for m's input: the test split for accuracy and,
// for fine-tuning, the training split and the validation images held out
// of it.
func (f *tuneFlags) openData(m *onnxio.Model, training bool) (*elight.Images, error) {
	in, err := imageInput(m)
	if err != nil {
		return nil, err
	}
	d, p, err := f.data.open(in)
	if err != nil {
		return nil, err
	}
	s := &elight.Images{Spec: d.Spec, Input: in.Name, Batch: f.batch}
	test, err := d.Split(data.Test)
	if err != nil {
		return nil, err
	}
	if f.evalLimit > 0 {
		test = test.First(f.evalLimit)
	}
	if !test.Labeled() {
		return nil, fmt.Errorf("data %s has no labels: accuracy cannot be measured; give npy:X.npy,Y.npy", d.Spec)
	}
	if s.Test, err = data.NewLoader(test, p); err != nil {
		return nil, err
	}
	if !training {
		return s, nil
	}
	train, err := d.Split(data.Train)
	if err != nil {
		return nil, err
	}
	if f.validation > 0 {
		n := f.validation
		if !f.changed("validation") {
			n = min(n, train.Len()/10)
		}
		held, rest, err := train.Carve(n, f.data.seed)
		if err != nil {
			return nil, fmt.Errorf("--validation %d: %w", f.validation, err)
		}
		if s.Validation, err = data.NewLoader(held, p); err != nil {
			return nil, err
		}
		train = rest
	}
	if f.calibration > 0 && f.calibration < train.Len() {
		train = train.Sample(f.calibration, f.data.seed)
	}
	if train.Len() < f.batch {
		return nil, fmt.Errorf("data %s has %d training images, fewer than one --batch of %d", d.Spec, train.Len(), f.batch)
	}
	if s.Train, err = data.NewLoader(train, p); err != nil {
		return nil, err
	}
	return s, nil
}

// training validates the fine-tuning flags and returns the training they
// ask for.
func (f *tuneFlags) training(hw elight.Hardware, trainImages int) (*elight.Training, error) {
	c, err := f.trainConfig(hw, trainImages)
	if err != nil {
		return nil, err
	}
	t := &elight.Training{Config: c, Seed: f.data.seed, Distill: f.distill, Calibration: f.calibration}
	switch {
	case f.searching():
		t.Search = &elight.Search{MaxDrop: f.maxDrop, Budget: f.budget, Segments: f.segments,
			ChooseStart: !f.changed("lr") && !f.changed("distill")}
	case len(f.lambdaSchedule) > 0:
		t.Schedule = f.lambdaSchedule
	}
	return t, nil
}

// trainConfig validates the flags of the training run itself.
func (f *tuneFlags) trainConfig(hw elight.Hardware, trainImages int) (finetune.Config, error) {
	c := finetune.Config{
		Quant: hw.Quant, Block: hw.Block, Lambda: f.diffWeight,
		Optimizer: f.optimizer, LR: f.lr, Schedule: f.schedule, Warmup: f.warmup, Momentum: f.momentum, WeightDecay: f.weightDecay,
		BatchSize: f.batch, Temperature: f.temperature,
	}
	var err error
	if c.Norm, err = finetune.ParseNorm(f.diffLoss); err != nil {
		return c, usageError("--diff-loss: %v", err)
	}
	if c.Ref, err = finetune.ParseReference(f.diffRef); err != nil {
		return c, usageError("--diff-ref: %v", err)
	}
	switch {
	case f.diffWeight < 0:
		return c, usageError("--diff-weight %g: want 0 or more", f.diffWeight)
	case f.batch < 1:
		return c, usageError("--batch %d: want at least 1", f.batch)
	case !(f.lr > 0):
		return c, usageError("--lr %g: want a positive learning rate", f.lr)
	case f.optimizer != "sgd" && f.optimizer != "adam":
		return c, usageError("--optimizer %q: want sgd or adam", f.optimizer)
	case f.schedule != "cosine" && f.schedule != "constant":
		return c, usageError("--lr-schedule %q: want cosine or constant", f.schedule)
	case f.momentum < 0 || f.momentum >= 1:
		return c, usageError("--momentum %g: want 0 <= momentum < 1", f.momentum)
	case f.weightDecay < 0:
		return c, usageError("--weight-decay %g: want 0 or more", f.weightDecay)
	case !(f.temperature > 0):
		return c, usageError("--temperature %g: want a positive temperature", f.temperature)
	case f.steps < 0 || !(f.epochs > 0):
		return c, usageError("--steps %d / --epochs %g: want a positive amount of training", f.steps, f.epochs)
	}
	c.Steps = f.steps
	switch {
	case f.searching() || len(f.lambdaSchedule) > 0:
		if f.segmentSteps < 2 {
			return c, usageError("--segment-steps %d: want at least 2", f.segmentSteps)
		}
		c.Steps = f.segmentSteps
		for _, l := range f.lambdaSchedule {
			if !(l >= 0) {
				return c, usageError("--diff-weight-schedule: lambda %g: want 0 or more", l)
			}
		}
		if len(f.segmentLR) > 0 && len(f.segmentLR) != len(f.lambdaSchedule) {
			return c, usageError("--segment-lr has %d learning rates for the %d segments of --diff-weight-schedule; give one per segment", len(f.segmentLR), len(f.lambdaSchedule))
		}
		for _, r := range f.segmentLR {
			if !(r > 0) {
				return c, usageError("--segment-lr: learning rate %g: want a positive one", r)
			}
		}
		c.SegmentLR = f.segmentLR
	case c.Steps == 0:
		c.Steps = max(1, int(f.epochs*float64(trainImages)/float64(f.batch)))
	}
	if f.warmup < 0 || f.warmup >= c.Steps {
		return c, usageError("--warmup %d: want 0 to %d, fewer than the run's %d steps", f.warmup, c.Steps-1, c.Steps)
	}
	return c, nil
}

// progress shows training progress: a bar with ETA on a terminal, a line
// at every tenth of a run or segment elsewhere (a log file, a pipe: a bar
// redrawing itself five times a second would leave thousands of lines
// there), JSON lines with --log-json, nothing with --quiet.
type progress struct {
	bar   *progressbar.ProgressBar
	out   io.Writer
	json  *json.Encoder
	start time.Time

	// lines is the plain mode; tenth is the last tenth of the current
	// run or segment it printed a line for.
	lines bool
	tenth int
}

func newProgress(w io.Writer, steps int, logJSON, quiet bool) *progress {
	p := &progress{start: time.Now(), out: w}
	switch {
	case logJSON:
		p.json = json.NewEncoder(w)
	case quiet:
	case !isTerminal(w):
		p.lines = true
	default:
		p.bar = progressbar.NewOptions(steps,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("fine-tuning"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	return p
}

// Segment shows a finished segment of the search.
func (p *progress) Segment(s finetune.Segment) {
	verdict := "kept the accuracy"
	switch {
	case s.Diverged:
		verdict = "diverged; training again from the checkpoint before at half the learning rate"
	case !s.Met:
		verdict = "below the accuracy budget"
	}
	switch {
	case p.json != nil:
		p.json.Encode(map[string]any{
			"event": "segment", "segment": s.Index, "diff_weight": s.Lambda, "steps": s.Steps,
			"validation_top1": s.Accuracy, "writes": s.Writes, "max_cell_writes": s.MaxCellWrites, "met": s.Met,
			"lr": s.LR, "diverged": s.Diverged,
			"seconds": time.Since(p.start).Seconds(),
		})
	case p.bar != nil || p.lines:
		if p.bar != nil {
			p.bar.Clear()
		}
		fmt.Fprintf(p.out, "segment %d (lambda %.4g): validation top-1 %.2f%%, %d writes, most-written cell %d: %s\n",
			s.Index, s.Lambda, s.Accuracy*100, s.Writes, s.MaxCellWrites, verdict)
		if p.bar != nil {
			p.bar.Reset()
		}
	}
}

// Step shows a training step.
func (p *progress) Step(s finetune.Progress) {
	switch {
	case p.json != nil:
		p.json.Encode(map[string]any{
			"event": "step", "step": s.Step, "steps": s.Steps, "lr": s.LR,
			"task_loss": s.TaskLoss, "write_loss": s.WriteLoss, "cell_writes": s.CellWrites,
			"batch_accuracy": s.Accuracy, "seconds": time.Since(p.start).Seconds(),
		})
	case p.bar != nil:
		p.bar.Describe("fine-tuning: " + stepStatus(s))
		p.bar.Set(s.Step)
	case p.lines:
		if s.Step == 1 {
			p.tenth = 0 // a run or segment starts
		}
		if tenth := s.Step * 10 / max(s.Steps, 1); tenth > p.tenth {
			p.tenth = tenth
			fmt.Fprintf(p.out, "fine-tuning: step %d of %d, %s, %s\n",
				s.Step, s.Steps, stepStatus(s), time.Since(p.start).Round(time.Second))
		}
	}
}

// stepStatus describes a training step: its losses, the cell order's
// writes of the current weights and, with labels, the batch's accuracy.
func stepStatus(s finetune.Progress) string {
	status := fmt.Sprintf("loss %.4f, write loss %.4f, cell writes %d", s.TaskLoss, s.WriteLoss, s.CellWrites)
	if s.Accuracy >= 0 {
		status += fmt.Sprintf(", batch accuracy %.2f", s.Accuracy)
	}
	return status
}

// isTerminal reports whether w is a terminal (a character device), where a
// bar that redraws itself in place reads well.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// Measured reports an accuracy measurement.
func (p *progress) Measured(what string, top1 float64, images int) {
	p.event("accuracy", map[string]any{"model": what, "top1": top1, "n": images})
}

// Chosen reports the search's choice.
func (p *progress) Chosen(s *report.Search) {
	p.event("chosen", map[string]any{"checkpoint": s.Chosen, "stopped": s.Stopped, "replay_flags": s.Replay,
		"segments_fit": s.SegmentsFit, "cautious": s.Cautious})
}

// event reports a measurement outside the training loop.
func (p *progress) event(name string, fields map[string]any) {
	if p.json != nil {
		fields["event"] = name
		p.json.Encode(fields)
	}
}
