package elight

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/elight-photonic/elight/finetune"
	"github.com/elight-photonic/elight/finetune/data"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/report"
)

// Training says how Optimize fine-tunes.
type Training struct {
	// Config is the training run. With Search, Lambda is the first
	// segment's and Steps each segment's length; with Schedule, Steps is
	// each segment's length; otherwise it is one run at Lambda.
	Config finetune.Config
	// Search, when not nil, searches for the fewest writes within an
	// accuracy budget (the README's method, section 6).
	Search *Search
	// Schedule, without Search, trains one segment per lambda: the replay
	// of a search's result.
	Schedule []float64
	// Seed orders the training images; Distill learns from the float
	// model's logits instead of the labels. Calibration records that the
	// training images are a seeded subset of that many (0: all).
	Seed        uint64
	Distill     bool
	Calibration int
}

// Search is the budget of the accuracy-driven search.
type Search struct {
	// MaxDrop is the most the quantized model's validation top-1 may fall
	// below the float model's, in percentage points.
	MaxDrop float64
	// Budget is the wall-clock time of the whole run; Segments, if not 0,
	// stops the search after that many segments.
	Budget   time.Duration
	Segments int
	// ChooseStart lets the search choose its learning rate and task loss
	// from the budget (a cautious start when it holds few segments, see
	// CautiousSegments): the caller left them to it.
	ChooseStart bool
}

// When the time budget holds fewer than CautiousSegments segments, a
// search that may choose trains at CautiousLR and distils from the float
// model. A bold segment at lr 1e-3 on the labels costs accuracy that the
// following segments win back, and more: VGG8 and the ResNet, with 26 to
// 40 segments in 30 minutes, reach 616x and 158x that way and climb above
// the float model's accuracy, which distillation at 1.25e-4 never let
// VGG8 do (25x). ResNet-18 gets three segments in 30 minutes on two cores:
// at 1e-3 on the labels its first fell 3.7 points and none of the three
// won the 0.5-point budget back (reordering alone, 10.5x), while
// distilled at 1e-4 its first three segments kept it (16.7x). The
// threshold is on the estimate, which ran about twice the segments that
// trained (ResNet-18 6.3 for 3, VGG8 59 for 26): about 5 real segments.
// Nothing between 3 and 26 was measured.
const (
	// CautiousSegments is the fewest segments the time budget must hold,
	// by the search's estimate, for a bold start.
	CautiousSegments = 10
	// CautiousLR is the learning rate of a cautious start.
	CautiousLR = 1e-4
)

// segmentsFit estimates the segments of steps training steps on batches
// of batch images that fit in left, from the time measuring took on
// validation images: a step costs at least three forward passes of its
// batch (forward, and backward twice as long), and each segment is
// measured on the validation images again. The estimate leaves out the
// quantizer, write loss and optimizer, so it errs towards more segments.
func segmentsFit(left, measuring time.Duration, validation, steps, batch int) float64 {
	perSegment := measuring.Seconds() * (1 + 3*float64(steps*batch)/float64(validation))
	return left.Seconds() / perSegment
}

// trainingRun is the fine-tuning stage of an optimize run.
type trainingRun struct {
	Run
	obs      Observer
	src      *source
	deadline time.Time
}

// finetune measures the quantized pretrained model (its writes, and its
// test accuracy unless a search measures it on validation images as its
// checkpoint 0), then trains m in place: a search, a schedule of
// segments, or one run.
func (t *trainingRun) finetune(ctx context.Context, m *onnxio.Model) (*report.Finetune, *float64, error) {
	im, tr := t.Images, t.Training
	before, err := t.src.load()
	if err != nil {
		return nil, nil, err
	}
	if tr.Search == nil {
		// Only the search's measurements load the model again; the
		// file's bytes need not sit beside the training buffers.
		t.src.drop()
	}
	beforeReport, _, err := QuantizeLayers(ctx, before, t.Hardware)
	if err != nil {
		return nil, nil, err
	}
	var quantized *float64
	if tr.Search == nil {
		q, err := TopOne(ctx, before, im.Input, im.Test, im.Batch)
		if err != nil {
			return nil, nil, err
		}
		t.obs.Measured("quantized before fine-tuning", q, im.Test.Len())
		quantized = &q
	}
	summary := t.summary(beforeReport)
	if tr.Search != nil {
		err = t.search(ctx, m, summary)
	} else {
		err = t.train(ctx, m, summary)
	}
	if errors.Is(err, finetune.ErrInterrupted) {
		return nil, nil, fmt.Errorf("interrupted during fine-tuning; nothing written")
	}
	if err != nil {
		return nil, nil, err
	}
	return summary, quantized, nil
}

// train trains m without a search: a schedule of segments, or one run.
func (t *trainingRun) train(ctx context.Context, m *onnxio.Model, summary *report.Finetune) error {
	im, tr := t.Images, t.Training
	stream, err := data.NewStream(im.Train, im.Batch, tr.Seed, !tr.Distill)
	if err != nil {
		return err
	}
	if len(tr.Schedule) > 0 {
		summary.LambdaSchedule, summary.Steps, summary.Lambda = tr.Schedule, tr.Config.Steps*len(tr.Schedule), 0
		return finetune.TrainSchedule(ctx, m, stream, tr.Config, tr.Schedule, t.obs.Step)
	}
	return finetune.Train(ctx, m, stream, tr.Config, t.obs.Step)
}

// search runs the accuracy-driven search: it keeps in m the weights with
// the fewest writes of the schedule's strategy whose quantized model stays
// within the budget on the validation images, and records the search and
// the kept model's lineage (lambda schedule, steps) in summary.
func (t *trainingRun) search(ctx context.Context, m *onnxio.Model, summary *report.Finetune) error {
	im, budget := t.Images, t.Training.Search
	tr := *t.Training // the search may choose its own rate and task loss
	if im.Validation == nil {
		return fmt.Errorf("the search needs validation images held out of the training images")
	}
	measuring := time.Now()
	float, err := TopOne(ctx, m, im.Input, im.Validation, im.Batch)
	if err != nil {
		return err
	}
	rec := &report.Search{MaxDrop: budget.MaxDrop, Budget: budget.Budget.String(), ValidationFloat: float, MinValidation: float - budget.MaxDrop/100}
	t.obs.Measured("float, validation", float, im.Validation.Len())
	if !t.deadline.IsZero() {
		fit := segmentsFit(time.Until(t.deadline), time.Since(measuring), im.Validation.Len(), tr.Config.Steps, im.Batch)
		rec.SegmentsFit = max(math.Round(fit*10)/10, 0) // for progress; not in the report's file
		if budget.ChooseStart && fit < CautiousSegments {
			rec.Cautious = true
			tr.Config.LR, tr.Distill = CautiousLR, true
			summary.LR, summary.Distillation = tr.Config.LR, tr.Distill
		}
	}
	stream, err := data.NewStream(im.Train, im.Batch, tr.Seed, !tr.Distill)
	if err != nil {
		return err
	}
	measure := func(ctx context.Context, store func(*onnxio.Model)) (finetune.Measurement, error) {
		q, err := t.src.load()
		if err != nil {
			return finetune.Measurement{}, err
		}
		store(q)
		// The search compares checkpoints by the per-layer writes; the
		// chip is laid out once, for the model it keeps.
		hw := t.Hardware
		hw.Cores = 0
		rep, _, err := QuantizeLayers(ctx, q, hw)
		if err != nil {
			return finetune.Measurement{}, err
		}
		var meas finetune.Measurement
		meas.Writes = rep.Totals.Writes.Get(t.Strategy)
		meas.MaxCellWrites = rep.Totals.MaxCellWrites.Get(t.Strategy)
		meas.Accuracy, err = TopOne(ctx, q, im.Input, im.Validation, im.Batch)
		return meas, err
	}
	sc := finetune.SearchConfig{Train: tr.Config, MinAccuracy: rec.MinValidation, Segments: budget.Segments, Deadline: t.deadline}
	res, err := finetune.Search(ctx, m, stream, sc, measure, t.obs.Step, t.obs.Segment)
	if err != nil {
		return err
	}
	rec.Chosen, rec.Stopped = res.Chosen, res.Stopped
	rec.Checkpoints = append(rec.Checkpoints, checkpoint(finetune.Segment{Measurement: res.Pretrained, Met: res.Pretrained.Accuracy >= rec.MinValidation}))
	for _, s := range res.Segments {
		rec.Checkpoints = append(rec.Checkpoints, checkpoint(s))
	}
	if res.Chosen < 0 {
		i, closest := res.Closest()
		drop := (float - closest.Accuracy) * 100
		return fmt.Errorf("no model kept validation top-1 within --max-drop %g points of the float model's %.2f%% (%d segments, stopped by %s): the closest, checkpoint %d, reached %.2f%% with %d writes, a drop of %.2f points, which --max-drop %.2f would admit; nothing written",
			budget.MaxDrop, float*100, len(res.Segments), res.Stopped, i, closest.Accuracy*100, closest.Writes, drop, math.Ceil(drop*100)/100)
	}
	summary.Search, summary.Lambda, summary.Steps = rec, 0, 0
	if lineage := res.Lineage(res.Chosen); len(lineage) == 0 {
		rec.Replay = "--no-finetune"
	} else {
		var lrs []float64
		lowered := false
		for _, s := range lineage {
			summary.LambdaSchedule, lrs = append(summary.LambdaSchedule, s.Lambda), append(lrs, s.LR)
			summary.Steps += s.Steps
			lowered = lowered || s.LR != tr.Config.LR
		}
		rec.Replay = fmt.Sprintf("--diff-weight-schedule %s --segment-steps %d --warmup %d --validation %d --seed %d --lr %g --diff-loss %s",
			formatFloats(summary.LambdaSchedule), tr.Config.Steps, tr.Config.Warmup, im.Validation.Len(), tr.Seed, tr.Config.LR, tr.Config.Norm)
		if lowered {
			rec.Replay += " --segment-lr " + formatFloats(lrs)
		}
		if tr.Distill {
			rec.Replay += fmt.Sprintf(" --distill --temperature %g", tr.Config.Temperature)
		}
	}
	t.obs.Chosen(rec)
	return nil
}

func checkpoint(s finetune.Segment) report.Checkpoint {
	return report.Checkpoint{Index: s.Index, Lambda: s.Lambda, LR: s.LR, Steps: s.Steps,
		Validation: s.Accuracy, Writes: s.Writes, MaxCellWrites: s.MaxCellWrites, Met: s.Met, Diverged: s.Diverged}
}

// summary is what the report records of the training run.
func (t *trainingRun) summary(before *report.Report) *report.Finetune {
	tr, c := t.Training, t.Training.Config
	ref := string(c.Ref)
	if c.Norm == finetune.Cell {
		ref = "" // the cell loss has no reference block
	}
	s := &report.Finetune{
		Data: t.Images.Spec, Steps: c.Steps, BatchSize: c.BatchSize, Lambda: c.Lambda,
		Loss: string(c.Norm), Reference: ref, Optimizer: c.Optimizer, LR: c.LR,
		Schedule: c.Schedule, Warmup: c.Warmup, WeightDecay: c.WeightDecay, Distillation: tr.Distill, Temperature: c.Temperature,
		Seed: tr.Seed, Calibration: tr.Calibration,
		WritesBefore: before.Totals.Writes, MaxCellWritesBefore: before.Totals.MaxCellWrites,
	}
	if len(tr.Schedule) > 0 || tr.Search != nil {
		s.SegmentSteps = c.Steps
	}
	if t.Images.Validation != nil {
		s.Validation = t.Images.Validation.Len()
	}
	return s
}

// formatFloats writes lambdas as the --diff-weight-schedule flag takes
// them: comma-separated, each in the fewest digits that read back exactly.
func formatFloats(v []float64) string {
	s := make([]string, len(v))
	for i, f := range v {
		s[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}
