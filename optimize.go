package elight

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"time"

	"github.com/elight-photonic/elight/finetune"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/reorder"
	"github.com/elight-photonic/elight/report"
)

// Run is one optimize run.
type Run struct {
	// Source is the ONNX model file's content and Path where it was read
	// from (external data resolves relative to it; messages name it).
	Source []byte
	Path   string
	Hardware
	// Images, when not nil, measure accuracy and feed fine-tuning.
	Images *Images
	// Training, when not nil, fine-tunes on Images.Train before
	// quantizing.
	Training *Training
	// Observer, when not nil, sees the run's progress.
	Observer Observer
}

// Observer sees an optimize run's progress.
type Observer interface {
	// Step follows every training step.
	Step(finetune.Progress)
	// Segment follows every segment of the search.
	Segment(finetune.Segment)
	// Measured follows every accuracy measurement: what was measured
	// ("float", "quantized", ...), its top-1 and the number of images.
	Measured(what string, top1 float64, images int)
	// Chosen follows the search, with the checkpoint it kept.
	Chosen(search *report.Search)
}

// Result is what an optimize run produced: the annotated model, whose
// photonic weights are their dequantized levels, the programming schedule
// of the chosen strategy, and the report.
type Result struct {
	Model    *onnxio.Model
	Schedule *reorder.Schedule
	Report   *report.Report
}

// Optimize folds the model's BatchNorms, fine-tunes it when run.Training
// asks for it, quantizes and accounts every photonic layer, and measures
// accuracy on run.Images when given.
func Optimize(ctx context.Context, run Run) (*Result, error) {
	start := time.Now()
	obs := run.Observer
	if obs == nil {
		obs = silent{}
	}
	// The report and schedule vouch for the file read; its digest is taken
	// now so that a run that does not fine-tune can let the bytes go once
	// they are parsed.
	digest := Digest(run.Source)
	// Each stage gets its own copy of the model: the float one, the one
	// quantized before fine-tuning, and the one trained and quantized.
	// src holds the run's only reference to the file's bytes, so that
	// dropping them frees them.
	src := &source{data: run.Source, path: run.Path}
	run.Source = nil
	m, err := src.load()
	if err != nil {
		return nil, err
	}
	if run.Training == nil {
		// Nothing loads the model again: the file's bytes, as large as
		// its weights, can go. They are the largest garbage of the run,
		// so they are collected now rather than once the heap has grown
		// by GOGC percent over them and the weights together.
		src.drop()
		runtime.GC()
	}
	if run.Training != nil && (run.Images == nil || run.Images.Train == nil) {
		return nil, fmt.Errorf("%s: fine-tuning needs training images", run.Path)
	}
	var acc *report.Accuracy
	var deadline time.Time
	if im := run.Images; im != nil {
		acc = &report.Accuracy{Samples: im.Test.Len()}
		evalStart := time.Now()
		if acc.Float, err = TopOne(ctx, m, im.Input, im.Test, im.Batch); err != nil {
			return nil, err
		}
		obs.Measured("float", acc.Float, acc.Samples)
		if t := run.Training; t != nil && t.Search != nil {
			// The search stops in time to measure and write the chosen
			// model: one more pass over the test images, and a margin.
			deadline = start.Add(t.Search.Budget - time.Since(evalStart) - 15*time.Second)
		}
	}
	var tuned *report.Finetune
	if run.Training != nil {
		t := &trainingRun{Run: run, obs: obs, src: src, deadline: deadline}
		if tuned, acc.Quantized, err = t.finetune(ctx, m); err != nil {
			return nil, err
		}
	}
	rep, sched, err := QuantizeLayers(ctx, m, run.Hardware)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", run.Path, err)
	}
	if im := run.Images; im != nil {
		q, err := TopOne(ctx, m, im.Input, im.Test, im.Batch)
		if err != nil {
			return nil, err
		}
		if tuned != nil {
			acc.Finetuned = &q
			obs.Measured("fine-tuned, quantized", q, acc.Samples)
		} else {
			acc.Quantized = &q
			obs.Measured("quantized", q, acc.Samples)
		}
	}
	rep.Accuracy, rep.Finetune = acc, tuned
	rep.Config.Finetune = tuned != nil
	rep.Model = run.Path
	rep.ModelSHA256 = digest
	sched.Header.Model = rep.ModelSHA256
	return &Result{Model: m, Schedule: sched, Report: rep}, nil
}

// Encode returns the bytes of the three files: the model annotated with
// the configuration, the totals and the digests of the other two in its
// metadata_props (keys "elight.*"), the schedule and the report. WriteFiles
// writes the same bytes without holding them.
func (r *Result) Encode() (model, schedule, rep []byte, err error) {
	var sched bytes.Buffer
	if _, err := r.Schedule.WriteTo(&sched); err != nil {
		return nil, nil, nil, err
	}
	if rep, err = r.Report.Marshal(); err != nil {
		return nil, nil, nil, err
	}
	annotate(r.Model.SetMetadata, r.Report, Digest(rep), Digest(sched.Bytes()))
	if model, err = onnxio.Marshal(r.Model); err != nil {
		return nil, nil, nil, err
	}
	return model, sched.Bytes(), rep, nil
}

// WriteFiles writes the files Encode returns to model, schedule and report,
// all three or none (onnxio.WriteStreamsAtomic), none of them over one of
// inputs or the files r.Model was read from (onnxio.Model.Inputs). The
// schedule and the model are encoded as they are written, side by side:
// for a VGG16 they are hundreds of megabytes each, which Encode holds on
// top of the model. The model's metadata, which records the schedule's
// digest, follows its graph in the file and is encoded last. A model whose
// weights are over 2 GiB, more than one protobuf message holds, has them
// in a fourth file, model + ".data" (onnxio.ExternalDataPath), which
// Encode cannot give. If ctx ends before the files are renamed into place,
// none is and the error is ErrInterrupted.
func (r *Result) WriteFiles(ctx context.Context, model, schedule, report string, inputs ...string) error {
	rep, err := r.Report.Marshal()
	if err != nil {
		return fmt.Errorf("%s: %w", report, err)
	}
	repDigest := Digest(rep)
	var schedDigest string
	scheduled := make(chan struct{}) // closed when schedDigest is set, or will not be
	files := []onnxio.FileStream{
		{Path: schedule, Write: func(w io.Writer) error {
			defer close(scheduled)
			d := newDigester()
			if _, err := r.Schedule.WriteTo(io.MultiWriter(w, d)); err != nil {
				return err
			}
			schedDigest = d.String()
			return nil
		}},
		{Path: report, Write: func(w io.Writer) error {
			_, err := w.Write(rep)
			return err
		}},
	}
	metadata := func(set func(key, value string)) error {
		<-scheduled
		if schedDigest == "" {
			return errors.New("no schedule digest to record: the schedule was not written")
		}
		annotate(set, r.Report, repDigest, schedDigest)
		// An interruption now still leaves no file.
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		return nil
	}
	// A model over 2 GiB comes with a data file (onnxio.Streams).
	files = append(files, onnxio.Streams(model, r.Model, metadata)...)
	err = onnxio.WriteStreamsAtomic(files, append(inputs, r.Model.Inputs()...)...)
	if errors.Is(err, ErrInterrupted) {
		return ErrInterrupted // said the same way wherever the run stopped
	}
	if err != nil {
		return err
	}
	// r.Model holds what was written, as after Encode.
	annotate(r.Model.SetMetadata, r.Report, repDigest, schedDigest)
	return nil
}

// annotate records the configuration, totals and digests in a model's
// metadata_props, under the "elight." prefix, through set
// (onnxio.Model.SetMetadata, or the one onnxio.Streams hands over).
func annotate(set func(key, value string), rep *report.Report, reportDigest, scheduleDigest string) {
	config, _ := json.Marshal(rep.Config)
	writes, _ := json.Marshal(rep.Totals.Writes)
	maxCell := rep.Totals.MaxCellWrites.Get(rep.Strategy)
	energy := rep.Totals.Energy.Get(rep.Strategy)
	latency := rep.Totals.LatencyUS.Get(rep.Strategy)
	for _, kv := range [][2]string{
		{"elight.format_version", fmt.Sprint(report.FormatVersion)},
		{"elight.config", string(config)},
		{"elight.strategy", string(rep.Strategy)},
		{"elight.layers", fmt.Sprint(len(rep.Layers))},
		{"elight.writes", string(writes)},
		{"elight.max_cell_writes", fmt.Sprint(maxCell)},
		{"elight.energy", fmt.Sprint(energy)},
		{"elight.latency_us", fmt.Sprint(latency)},
		{"elight.source_sha256", rep.ModelSHA256},
		{"elight.report_sha256", reportDigest},
		{"elight.schedule_sha256", scheduleDigest},
	} {
		set(kv[0], kv[1])
	}
	if c := rep.Chip; c != nil {
		chip, _ := json.Marshal(chipMetadata{Cores: c.Cores, Writes: c.Levelled.Writes.Get(rep.Strategy), MaxCellWrites: c.Levelled.MaxCellWrites.Get(rep.Strategy)})
		set("elight.chip", string(chip))
	}
}

// chipMetadata is the "elight.chip" metadata entry: the schedule's chip
// plan's core count and steady-state writes per inference.
type chipMetadata struct {
	Cores         int   `json:"cores"`
	Writes        int64 `json:"writes"`
	MaxCellWrites int64 `json:"max_cell_writes"`
}

// Digest is the hex SHA-256 of data, as the metadata and report record
// the files they vouch for.
func Digest(data []byte) string {
	d := newDigester()
	d.Write(data)
	return d.String()
}

// digester computes Digest of what is written to it, for files streamed
// rather than held whole.
type digester struct{ hash.Hash }

func newDigester() digester { return digester{sha256.New()} }

// String is the Digest of everything written so far.
func (d digester) String() string { return hex.EncodeToString(d.Sum(nil)) }

// silent is the Observer of a run that has none.
type silent struct{}

func (silent) Step(finetune.Progress)        {}
func (silent) Segment(finetune.Segment)      {}
func (silent) Measured(string, float64, int) {}
func (silent) Chosen(*report.Search)         {}
