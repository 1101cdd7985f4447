package finetune

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/elight-photonic/elight/onnxio"
)

// segmentWarmup is the learning-rate warmup of segment i (from 0) of a run
// of cfg: cfg.Warmup for the first, a tenth of the steps for the others,
// whose Adam moments carry over from the segment before. The search and
// its replay share it, so that the replay trains the same weights.
func segmentWarmup(cfg Config, i int) int {
	if i == 0 {
		return cfg.Warmup
	}
	return cfg.Steps / 10
}

// Measurement is what the search knows of a checkpoint: the quantized
// model's validation accuracy and the writes of the programming order the
// run will use.
type Measurement struct {
	Accuracy      float64 // top-1 on the validation images
	Writes        int64
	MaxCellWrites int64
}

// Measure measures a checkpoint. store writes the checkpoint's float
// weights into a model (a copy the caller owns); the caller quantizes and
// evaluates that model.
type Measure func(ctx context.Context, store func(*onnxio.Model)) (Measurement, error)

// SearchConfig is an accuracy-driven search: training proceeds in segments,
// each a warm restart of the learning-rate schedule with its own lambda,
// and after each the quantized model is measured on validation images.
type SearchConfig struct {
	// Train is the training run: Lambda is the first segment's lambda,
	// Steps the length of every segment, Warmup the first segment's
	// warmup (later segments warm up over a tenth of Steps).
	Train Config
	// MinAccuracy is the validation accuracy a checkpoint must reach to be
	// kept.
	MinAccuracy float64
	// Segments bounds the number of segments; 0 runs until the deadline.
	Segments int
	// Deadline stops the search: a segment that cannot be trained and
	// measured by then (measuring takes as long as it took on the
	// pretrained weights) is cut short and discarded. The zero time means
	// none.
	Deadline time.Time
}

// The search's lambda controller: after a segment that keeps the accuracy
// lambda is multiplied by the factor, after one that does not it is divided
// by it. Each change of direction takes the factor's square root (at least
// 1.05), so that lambda closes in on the largest value the budget admits;
// each step in the same direction as the last squares it (at most 2), as
// Rprop grows its step, so that lambda keeps up with a margin that keeps
// growing. With the factor only ever shrinking, the bundled VGG8 spent 15
// segments raising lambda by 5% at a time while it kept the accuracy by up
// to 1.6 points, and ResNet-18, which lost the budget segment after segment,
// lowered lambda by only a factor of 1.41 each time.
//
// Training always goes on from the last segment: a segment that lost
// accuracy is followed by one with a smaller lambda, in which the task
// loss wins accuracy back while the weights keep most of what they gained
// in writes. (Going back to the best checkpoint instead threw that away:
// on VGG8 no 200-step segment from the pretrained weights kept the
// accuracy, whatever its lambda.)
const (
	firstLambdaFactor = 2.0
	maxLambdaFactor   = 2.0
	minLambdaFactor   = 1.05
)

// nextLambda is the controller's step: lambda and its factor after a
// segment trained at lambda with factor, which met (or not) the budget;
// lastMet says whether the segment before it met it (the pretrained
// weights count as having met it).
func nextLambda(lambda, factor float64, met, lastMet bool) (float64, float64) {
	if met == lastMet {
		factor = min(factor*factor, maxLambdaFactor)
	} else {
		factor = max(math.Sqrt(factor), minLambdaFactor)
	}
	if met {
		return lambda * factor, factor
	}
	return lambda / factor, factor
}

// Segment is one segment of the search.
type Segment struct {
	Index  int // from 1
	Lambda float64
	LR     float64 // peak learning rate
	Steps  int
	Measurement
	// Met says whether the segment kept the accuracy budget.
	Met bool
	// Diverged says the segment lost more than half the accuracy of the
	// checkpoint it started from: the search dropped it and trained the
	// next segment from that checkpoint again, at half the learning rate.
	Diverged bool
}

// diverged reports whether a segment that started from a checkpoint of
// accuracy from and reached to has diverged. Raising lambda costs a few
// points at most; a network that training broke (on ResNet-18 at lr 1e-3
// the loss nearly doubled within four steps, and then every image got the
// same logits) answers at chance.
func diverged(from, to float64) bool { return to < from/2 }

// SearchResult is the record of a search.
type SearchResult struct {
	// Pretrained measures the pretrained weights, quantized.
	Pretrained Measurement
	Segments   []Segment
	// Chosen is the kept checkpoint: 0 for the pretrained weights, a
	// segment's index, or -1 when nothing met the budget.
	Chosen int
	// Stopped says what ended the search: "segments" or "deadline".
	Stopped string
}

// Lineage returns the segments that led to checkpoint i, first to last,
// the diverged ones left out: TrainSchedule with their lambdas and
// learning rates (Config.SegmentLR), on the same data, gives the same
// weights. It is empty for the pretrained weights or no checkpoint.
func (r *SearchResult) Lineage(i int) []Segment {
	var lineage []Segment
	for _, s := range r.Segments[:max(i, 0)] {
		if !s.Diverged {
			lineage = append(lineage, s)
		}
	}
	return lineage
}

// Closest returns the checkpoint with the highest validation accuracy, and
// its measurement: where a search that met nothing came closest.
func (r *SearchResult) Closest() (int, Measurement) {
	best, m := 0, r.Pretrained
	for _, s := range r.Segments {
		if s.Accuracy > m.Accuracy || (s.Accuracy == m.Accuracy && s.Writes < m.Writes) {
			best, m = s.Index, s.Measurement
		}
	}
	return best, m
}

// Search fine-tunes m's photonic layers, whose BatchNorms must be folded,
// for the fewest writes at a validation accuracy of at least
// cfg.MinAccuracy, and stores the weights of the best checkpoint that met
// it into m (m is left as it was when none did). progress is called after
// every training step and segment after every segment; either may be nil.
// The same data, configuration and measurements give the same search; the
// deadline only decides where it stops.
func Search(ctx context.Context, m *onnxio.Model, data Seekable, cfg SearchConfig, measure Measure,
	progress func(Progress), segment func(Segment)) (*SearchResult, error) {
	tr, err := NewTrainer(m, cfg.Train)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	res := &SearchResult{Chosen: -1}
	measured := time.Now()
	if res.Pretrained, err = measure(ctx, tr.Store); err != nil {
		return nil, err
	}
	// a segment must end early enough to be measured before the deadline
	trainUntil := cfg.Deadline
	if !trainUntil.IsZero() {
		trainUntil = trainUntil.Add(-time.Since(measured))
	}
	var best *State
	var bestWrites int64
	if res.Pretrained.Accuracy >= cfg.MinAccuracy {
		res.Chosen, bestWrites = 0, res.Pretrained.Writes
	}
	lambda, factor, lastMet := cfg.Train.Lambda, firstLambdaFactor, true
	lr, from, kept := cfg.Train.LR, res.Pretrained, 0
	var start *State // where the current segment started
	x := make([]float32, tr.InputSize())
	for index := 1; ; index++ {
		if cfg.Segments > 0 && index > cfg.Segments {
			res.Stopped = "segments"
			break
		}
		if start, err = tr.mark(start); err != nil {
			return nil, err
		}
		pos := data.Pos()
		finished, err := tr.segment(ctx, data, x, lambda, lr, cfg.Train.Steps, segmentWarmup(cfg.Train, kept), trainUntil, progress)
		if err != nil {
			return nil, err
		}
		if !finished {
			res.Stopped = "deadline"
			break
		}
		s := Segment{Index: index, Lambda: lambda, LR: lr, Steps: cfg.Train.Steps}
		if s.Measurement, err = measure(ctx, tr.Store); err != nil {
			return nil, err
		}
		s.Diverged = diverged(from.Accuracy, s.Accuracy)
		s.Met = s.Accuracy >= cfg.MinAccuracy && !s.Diverged
		res.Segments = append(res.Segments, s)
		if segment != nil {
			segment(s)
		}
		if s.Diverged {
			// Back to where the segment started, weights, moments and
			// data alike, to train it again at half the rate.
			if err := tr.Load(start); err != nil {
				return nil, err
			}
			if err := data.Seek(pos); err != nil {
				return nil, fmt.Errorf("training data: %w", err)
			}
			lr /= 2
			continue
		}
		from, kept = s.Measurement, kept+1
		if s.Met && (res.Chosen < 0 || s.Writes < bestWrites) {
			if best, err = tr.Save(); err != nil {
				return nil, err
			}
			res.Chosen, bestWrites = index, s.Writes
		}
		lambda, factor = nextLambda(lambda, factor, s.Met, lastMet)
		lastMet = s.Met
	}
	if best != nil {
		if err := tr.Load(best); err != nil {
			return nil, err
		}
		tr.handOver(m)
	}
	return res, nil
}

// TrainSchedule fine-tunes m's photonic layers in segments, one per lambda,
// each a warm restart of cfg's schedule over cfg.Steps steps (the first
// warming up over cfg.Warmup, the rest over a tenth of cfg.Steps) peaking at
// cfg.SegmentLR[i], or cfg.LR past its end: the fixed replay of a search's
// lineage. It stores the trained weights into m.
func TrainSchedule(ctx context.Context, m *onnxio.Model, data Batches, cfg Config, lambdas []float64, progress func(Progress)) error {
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		return err
	}
	defer tr.Close()
	x := make([]float32, tr.InputSize())
	for i, lambda := range lambdas {
		lr := cfg.LR
		if i < len(cfg.SegmentLR) {
			lr = cfg.SegmentLR[i]
		}
		if _, err := tr.segment(ctx, data, x, lambda, lr, cfg.Steps, segmentWarmup(cfg, i), time.Time{}, progress); err != nil {
			return err
		}
	}
	tr.handOver(m)
	return nil
}

// segment trains one learning-rate cycle at lambda, peaking at lr. It
// returns false, having stopped early, when the deadline passed.
func (tr *Trainer) segment(ctx context.Context, data Batches, x []float32, lambda, lr float64, steps, warmup int,
	deadline time.Time, progress func(Progress)) (bool, error) {
	tr.cfg.LR = lr
	if err := tr.Restart(steps, warmup); err != nil {
		return false, err
	}
	tr.SetLambda(lambda)
	for step := 0; step < steps; step++ {
		if ctx.Err() != nil {
			return false, ErrInterrupted
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return false, nil
		}
		labels, err := data.Next(x)
		if err != nil {
			return false, fmt.Errorf("training data: %w", err)
		}
		p, err := tr.Step(x, labels)
		if err != nil {
			return false, fmt.Errorf("step %d: %w", step+1, err)
		}
		if progress != nil {
			progress(p)
		}
	}
	return true, nil
}
