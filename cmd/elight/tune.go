package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/elight-photonic/elight/finetune"
	"github.com/elight-photonic/elight/finetune/data"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
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
}

func (f *tuneFlags) register(fs *pflag.FlagSet) {
	f.data.register(fs)
	fs.Float64Var(&f.epochs, "epochs", 1, "passes over the training images (fractions allowed); --steps overrides it")
	fs.IntVar(&f.steps, "steps", 0, "optimizer steps to train for, instead of --epochs")
	fs.IntVar(&f.batch, "batch", 32, "images per training step")
	fs.Float64Var(&f.diffWeight, "diff-weight", 10, "lambda: weight of the write-aware loss against the task loss (0: quantization-aware training only)")
	fs.StringVar(&f.diffLoss, "diff-loss", "l2", "write-aware loss: l1 (signed levels) or l2 (pos and neg arrays) against --diff-ref, or cell (the writes of the cell order; no reference)")
	fs.StringVar(&f.diffRef, "diff-ref", "meanR", "reference block: meanR (mean block of the row), meanG (of the layer) or neighbor (previous block)")
	fs.StringVar(&f.optimizer, "optimizer", "adam", "sgd (with momentum) or adam (decoupled weight decay)")
	fs.Float64Var(&f.lr, "lr", 1e-4, "peak learning rate")
	fs.Float64Var(&f.momentum, "momentum", 0.9, "momentum of sgd")
	fs.Float64Var(&f.weightDecay, "weight-decay", 0, "weight decay")
	fs.StringVar(&f.schedule, "lr-schedule", "cosine", "learning-rate schedule: cosine (decay to 0) or constant")
	fs.IntVar(&f.warmup, "warmup", 0, "raise the learning rate linearly over the first `N` steps, then follow --lr-schedule over the rest")
	fs.Float64Var(&f.temperature, "temperature", 4, "softening temperature of distillation")
	fs.BoolVar(&f.distill, "distill", false, "learn from the float model's logits even when the data has labels")
	fs.IntVar(&f.calibration, "calibration", 0, "train on a seeded random subset of `N` training images (0: all)")
	fs.IntVar(&f.evalLimit, "eval-limit", 0, "measure accuracy on the first `N` test images (0: all)")
	fs.BoolVar(&f.logJSON, "log-json", false, "print progress as JSON objects, one per line, instead of a progress bar and tables")
}

// tuneSession is the data side of an optimize run: the evaluation images
// and, when fine-tuning, the training stream.
type tuneSession struct {
	input   string
	dataset *data.Dataset
	eval    *data.Loader
	train   *data.Loader
	batch   int
}

// openData opens --data for m's input: the test split for accuracy and,
// for fine-tuning, the training split.
func (f *tuneFlags) openData(m *onnxio.Model, training bool) (*tuneSession, error) {
	in, err := imageInput(m)
	if err != nil {
		return nil, err
	}
	d, p, err := f.data.open(in)
	if err != nil {
		return nil, err
	}
	s := &tuneSession{input: in.Name, dataset: d, batch: f.batch}
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
	if s.eval, err = data.NewLoader(test, p); err != nil {
		return nil, err
	}
	if !training {
		return s, nil
	}
	train, err := d.Split(data.Train)
	if err != nil {
		return nil, err
	}
	if f.calibration > 0 && f.calibration < train.Len() {
		train = train.Sample(f.calibration, f.data.seed)
	}
	if train.Len() < f.batch {
		return nil, fmt.Errorf("data %s has %d training images, fewer than one --batch of %d", d.Spec, train.Len(), f.batch)
	}
	if s.train, err = data.NewLoader(train, p); err != nil {
		return nil, err
	}
	return s, nil
}

// trainConfig validates the fine-tuning flags.
func (f *tuneFlags) trainConfig(quant quantize.Config, block int, trainImages int) (finetune.Config, error) {
	c := finetune.Config{
		Quant: quant, Block: block, Lambda: f.diffWeight,
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
	if c.Steps == 0 {
		c.Steps = max(1, int(f.epochs*float64(trainImages)/float64(f.batch)))
	}
	if f.warmup < 0 || f.warmup >= c.Steps {
		return c, usageError("--warmup %d: want 0 to %d, fewer than the run's %d steps", f.warmup, c.Steps-1, c.Steps)
	}
	return c, nil
}

// accuracy measures m's top-1 accuracy on the evaluation images.
func (s *tuneSession) accuracy(ctx context.Context, m *onnxio.Model) (float64, error) {
	correct, n, err := countAccuracy(ctx, m, s.input, s.eval, s.batch)
	if err != nil {
		return 0, err
	}
	return float64(correct) / float64(n), nil
}

// stream serves endless shuffled training batches, reshuffled every epoch.
type stream struct {
	loader   *data.Loader
	batch    int
	seed     uint64
	epoch    uint64
	next     func() (*data.Batch, bool)
	stop     func()
	distill  bool
	labelBuf []int64
}

func (s *tuneSession) stream(seed uint64, distill bool) *stream {
	return &stream{loader: s.train, batch: s.batch, seed: seed, distill: distill}
}

func (st *stream) Next(x []float32) ([]int64, error) {
	for {
		if st.next == nil {
			var seq iter.Seq[*data.Batch] = st.loader.Shuffled(st.batch, st.seed+st.epoch)
			st.next, st.stop = iter.Pull(seq)
		}
		b, ok := st.next()
		if !ok {
			st.stop()
			st.next = nil
			st.epoch++
			continue
		}
		if b.Len() < st.batch {
			continue // the short last batch of an epoch: the graph has a fixed batch
		}
		copy(x, b.X)
		if b.Labels == nil || st.distill {
			return nil, nil
		}
		st.labelBuf = append(st.labelBuf[:0], b.Labels...)
		return st.labelBuf, nil
	}
}

func (st *stream) close() {
	if st.stop != nil {
		st.stop()
	}
}

// progress shows training progress: a bar with ETA on a terminal-like
// writer, JSON lines with --log-json, nothing with --quiet.
type progress struct {
	bar    *progressbar.ProgressBar
	json   *json.Encoder
	start  time.Time
	last   finetune.Progress
	events []string
}

func newProgress(w io.Writer, steps int, logJSON, quiet bool) *progress {
	p := &progress{start: time.Now()}
	switch {
	case logJSON:
		p.json = json.NewEncoder(w)
	case !quiet:
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

func (p *progress) step(s finetune.Progress) {
	p.last = s
	switch {
	case p.json != nil:
		p.json.Encode(map[string]any{
			"event": "step", "step": s.Step, "steps": s.Steps, "lr": s.LR,
			"task_loss": s.TaskLoss, "write_loss": s.WriteLoss, "cell_writes": s.CellWrites,
			"batch_accuracy": s.Accuracy, "seconds": time.Since(p.start).Seconds(),
		})
	case p.bar != nil:
		desc := fmt.Sprintf("fine-tuning: loss %.4f, write loss %.4f, cell writes %d", s.TaskLoss, s.WriteLoss, s.CellWrites)
		if s.Accuracy >= 0 {
			desc += fmt.Sprintf(", batch accuracy %.2f", s.Accuracy)
		}
		p.bar.Describe(desc)
		p.bar.Set(s.Step)
	}
}

// event reports a measurement outside the training loop.
func (p *progress) event(name string, fields map[string]any) {
	if p.json != nil {
		fields["event"] = name
		p.json.Encode(fields)
	}
}

// finetuneSummary is what the report records of the run.
func finetuneSummary(f *tuneFlags, c finetune.Config, spec string, before *report.Report) *report.Finetune {
	ref := string(c.Ref)
	if c.Norm == finetune.Cell {
		ref = "" // the cell loss has no reference block
	}
	return &report.Finetune{
		Data: spec, Steps: c.Steps, BatchSize: c.BatchSize, Lambda: c.Lambda,
		Loss: string(c.Norm), Reference: ref, Optimizer: c.Optimizer, LR: c.LR,
		Schedule: c.Schedule, Warmup: c.Warmup, WeightDecay: c.WeightDecay, Distillation: f.distill, Temperature: c.Temperature,
		Seed: f.data.seed, Calibration: f.calibration,
		WritesBefore: before.Totals.Writes, MaxCellWritesBefore: before.Totals.MaxCellWrites,
	}
}
