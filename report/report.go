// Package report holds elight's write, energy and latency report: the JSON
// document `elight optimize --report` writes, its table form, its HTML page
// with charts, and the comparison of two reports that `elight diff` prints.
//
// The JSON field names are a contract: deployment pipelines read
// layers[].name, layers[].weight, layers[].writes.<strategy>, and totals.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/elight-photonic/elight/reorder"
)

// FormatVersion is the version of the JSON layouts of the report and of
// the diff document; it changes only when a field is renamed or removed.
const FormatVersion = 1

// PerStrategy holds one figure for each programming-order strategy.
type PerStrategy[T int64 | float64] struct {
	None   T `json:"none"`
	Sort   T `json:"sort"`
	Cell   T `json:"cell"`
	Column T `json:"column"`
	Block  T `json:"block"`
}

// Get returns the figure of strategy s.
func (p *PerStrategy[T]) Get(s reorder.Strategy) T { return *p.field(s) }

// Set stores the figure of strategy s.
func (p *PerStrategy[T]) Set(s reorder.Strategy, v T) { *p.field(s) = v }

// field returns the figure of s. Strategies come from reorder's constants
// or reorder.ParseStrategy, so any other value is a bug.
func (p *PerStrategy[T]) field(s reorder.Strategy) *T {
	switch s {
	case reorder.None:
		return &p.None
	case reorder.Sort:
		return &p.Sort
	case reorder.Cell:
		return &p.Cell
	case reorder.Column:
		return &p.Column
	case reorder.Block:
		return &p.Block
	}
	panic(fmt.Sprintf("report: unknown strategy %q", s))
}

// Config is the configuration a report was made with.
type Config struct {
	Bits    int     `json:"bits"`
	Block   int     `json:"block"`
	PCMLoss float64 `json:"pcm_loss"`
	Scale   string  `json:"scale"` // "tensor", or "row": one scale per output row, applied electronically at the core's output
	// ScaleHeadroom is alpha / max|w|: 1 as in the reference, more when the
	// top levels were left unused (quantize.Config.Headroom).
	ScaleHeadroom float64 `json:"scale_headroom"`
	Finetune      bool    `json:"finetune"`
	Device        Device  `json:"device_profile"`
	// Cores is the chip's physical core count, 0 when every layer is
	// accounted on cores of its own.
	Cores int `json:"cores,omitempty"`
}

// Device is the device profile the energy, latency and lifetime figures
// use.
type Device struct {
	Name      string  `json:"name,omitempty"` // preset or profile file
	TUpUS     float64 `json:"t_up_us"`
	TDownUS   float64 `json:"t_down_us"`
	EUp       float64 `json:"e_up"`
	EDown     float64 `json:"e_down"`
	Endurance float64 `json:"endurance"`
}

// Figures are the costs of programming under each strategy.
type Figures struct {
	Writes        PerStrategy[int64]   `json:"writes"`
	MaxCellWrites PerStrategy[int64]   `json:"max_cell_writes"`
	Energy        PerStrategy[float64] `json:"energy"`
	LatencyUS     PerStrategy[float64] `json:"latency_us"`
	// Lifetime is how many inferences run before the most-written cell
	// reaches the device's endurance: each inference programs every block
	// once. It is 0 when no cell is written, so nothing wears.
	Lifetime PerStrategy[float64] `json:"lifetime_inferences"`
}

// Set records strategy s's costs st; the lifetime divides the device's
// endurance by the most-written cell.
func (f *Figures) Set(s reorder.Strategy, st reorder.Stats, endurance float64) {
	f.Writes.Set(s, st.Writes)
	f.MaxCellWrites.Set(s, st.MaxCellWrites)
	f.Energy.Set(s, st.Energy)
	f.LatencyUS.Set(s, st.LatencyUS)
	f.Lifetime.Set(s, Lifetime(st.MaxCellWrites, endurance))
}

// Lifetime is endurance / maxCellWrites, or 0 when no cell is written.
func Lifetime(maxCellWrites int64, endurance float64) float64 {
	if maxCellWrites == 0 {
		return 0
	}
	return endurance / float64(maxCellWrites)
}

// Layer is one photonic layer's accounting: its cores, one per block row,
// programmed from cleared cells (the paper's model).
type Layer struct {
	Name      string `json:"name"`   // ONNX node name
	Op        string `json:"op"`     // Conv, Gemm or MatMul
	Weight    string `json:"weight"` // initializer name
	Rows      int    `json:"rows"`   // the weight as the matrix the core computes
	Cols      int    `json:"cols"`
	BlockRows int    `json:"block_rows"` // cores working in parallel
	BlockCols int    `json:"block_cols"` // blocks each core is programmed with in turn
	// Groups is a grouped Conv's group count (omitted when 1): row r of
	// the matrix belongs to group r / (rows / groups).
	Groups int `json:"groups,omitempty"`
	Figures
	// ColumnLowerBound is the cell strategy's write count: no order shared
	// by a column's cells can need fewer writes.
	ColumnLowerBound int64 `json:"column_lower_bound"`
}

// Totals sum the layers; max cell writes is the largest of any layer and
// sets the lifetime.
type Totals = Figures

// Chip is the whole model on a chip of Cores physical cores (method,
// section 7): every layer's block rows assigned to the cores, each cell
// starting from what the block before left in it, one inference in steady
// state.
type Chip struct {
	Cores int `json:"cores"`
	// Naive runs block row i of every layer on core i mod Cores; Levelled
	// is the wear-levelled assignment, never worse on the most-written
	// cell.
	Naive    Figures `json:"naive"`
	Levelled Figures `json:"levelled"`
	// FellBack lists the strategies whose levelling heuristic did worse
	// than the naive layout, so that their levelled figures are the naive
	// ones.
	FellBack []reorder.Strategy `json:"fell_back,omitempty"`
	// CellWrites holds, for each physical core, the writes per inference
	// of its K x K cells, row-major, under the report's strategy and the
	// levelled plan: the schedule's.
	CellWrites [][]int64 `json:"cell_writes"`
}

// Accuracy is top-1 accuracy measured on held-out data, when the run had it.
// Quantized is the pretrained model's, quantized without fine-tuning; a
// search leaves it out (nil): its checkpoint 0 is that model, measured on
// the validation images, and a pass over the test images would cost the
// search's time budget a segment's worth on a large model.
type Accuracy struct {
	Samples   int      `json:"samples"`
	Float     float64  `json:"float"`
	Quantized *float64 `json:"quantized,omitempty"`
	Finetuned *float64 `json:"finetuned,omitempty"`
}

// Finetune records the write-aware fine-tuning run and the writes the
// quantized pretrained weights needed before it.
type Finetune struct {
	Data                string             `json:"data"`
	Steps               int                `json:"steps"`
	BatchSize           int                `json:"batch_size"`
	Lambda              float64            `json:"diff_weight"`
	Loss                string             `json:"diff_loss"`
	Reference           string             `json:"diff_ref,omitempty"` // none for the cell loss
	Optimizer           string             `json:"optimizer"`
	LR                  float64            `json:"lr"`
	Schedule            string             `json:"lr_schedule"`
	Warmup              int                `json:"warmup_steps,omitempty"`
	WeightDecay         float64            `json:"weight_decay"`
	Distillation        bool               `json:"distillation"`
	Temperature         float64            `json:"temperature"`
	Seed                uint64             `json:"seed"`
	Calibration         int                `json:"calibration,omitempty"`
	WritesBefore        PerStrategy[int64] `json:"writes_before"`
	MaxCellWritesBefore PerStrategy[int64] `json:"max_cell_writes_before"`
	// LambdaSchedule and SegmentSteps describe training in segments, each a
	// warm restart of the learning-rate schedule over SegmentSteps steps
	// with its own lambda; Steps is then their total.
	LambdaSchedule []float64 `json:"diff_weight_schedule,omitempty"`
	SegmentSteps   int       `json:"segment_steps,omitempty"`
	// Validation is the number of training images held out to measure
	// accuracy on, not trained on.
	Validation int `json:"validation_images,omitempty"`
	// Search records the accuracy-driven search, when it chose the run.
	Search *Search `json:"search,omitempty"`
}

// Search records an accuracy-driven search: every checkpoint it measured
// on the validation images, which one it kept, and the fixed flags that
// train the kept one without a search.
type Search struct {
	// MaxDrop is the accuracy budget in percentage points of top-1 below
	// the float model on the validation images.
	MaxDrop float64 `json:"max_drop"`
	// Budget is the wall-clock budget of the whole run, as given.
	Budget string `json:"budget"`
	// ValidationFloat is the float model's validation top-1, and
	// MinValidation the least a kept checkpoint needed.
	ValidationFloat float64 `json:"validation_float"`
	MinValidation   float64 `json:"min_validation"`
	// Cautious says the search estimated, before training, that its time
	// budget held too few segments for a bold start, and so trained at a
	// lower learning rate, distilling from the float model (the Finetune's
	// LR and Distillation), where it was free to choose.
	// SegmentsFit is that estimate, for progress only: it varies with the
	// machine's speed, and the file stays the same for the same inputs.
	Cautious    bool    `json:"cautious,omitempty"`
	SegmentsFit float64 `json:"-"`
	// Checkpoints lists the pretrained weights (index 0) and every
	// segment trained, in order.
	Checkpoints []Checkpoint `json:"checkpoints"`
	// Chosen is the index of the kept checkpoint.
	Chosen int `json:"chosen"`
	// Stopped says what ended the search: "segments" or "deadline".
	Stopped string `json:"stopped"`
	// Replay holds the flags that, added to the run's own, train the
	// chosen checkpoint without a search.
	Replay string `json:"replay_flags"`
}

// Checkpoint is one measured point of a search: the quantized model after
// a segment of training (or the pretrained weights, index 0). Each segment
// goes on from the one before, but for a diverged one, which the search
// dropped: the next starts where it started.
type Checkpoint struct {
	Index         int     `json:"index"`
	Lambda        float64 `json:"diff_weight"`
	LR            float64 `json:"lr,omitempty"` // peak learning rate
	Steps         int     `json:"steps"`
	Validation    float64 `json:"validation_top1"`
	Writes        int64   `json:"writes"` // of the report's strategy
	MaxCellWrites int64   `json:"max_cell_writes"`
	Met           bool    `json:"met"` // kept the accuracy budget
	// Diverged: the segment lost more than half the accuracy of the
	// checkpoint it started from; the next segment trained again from
	// there at half the learning rate.
	Diverged bool `json:"diverged,omitempty"`
}

// Report is the whole report.
type Report struct {
	FormatVersion int              `json:"format_version"`
	Model         string           `json:"model"`
	ModelSHA256   string           `json:"model_sha256"`
	Config        Config           `json:"config"`
	Strategy      reorder.Strategy `json:"strategy"` // the strategy the schedule uses
	Layers        []Layer          `json:"layers"`
	Totals        Totals           `json:"totals"`
	Accuracy      *Accuracy        `json:"accuracy,omitempty"`
	Finetune      *Finetune        `json:"finetune,omitempty"`
	Chip          *Chip            `json:"chip,omitempty"`
	Notes         []string         `json:"notes,omitempty"`
}

// Sum recomputes Totals from Layers; lifetimes use the report's device
// endurance.
func (r *Report) Sum() {
	var t Totals
	for _, l := range r.Layers {
		for _, s := range reorder.Strategies() {
			add(&t.Writes, &l.Writes, s, func(a, b int64) int64 { return a + b })
			add(&t.MaxCellWrites, &l.MaxCellWrites, s, func(a, b int64) int64 { return max(a, b) })
			add(&t.Energy, &l.Energy, s, func(a, b float64) float64 { return a + b })
			add(&t.LatencyUS, &l.LatencyUS, s, func(a, b float64) float64 { return a + b })
		}
	}
	for _, s := range reorder.Strategies() {
		t.Lifetime.Set(s, Lifetime(t.MaxCellWrites.Get(s), r.Config.Device.Endurance))
	}
	r.Totals = t
}

func add[T int64 | float64](total, layer *PerStrategy[T], s reorder.Strategy, combine func(a, b T) T) {
	total.Set(s, combine(total.Get(s), layer.Get(s)))
}

// Marshal encodes the report as indented JSON with a final newline; the
// same report always gives the same bytes.
func (r *Report) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Read reads a report written by elight optimize.
func Read(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Decode reads a report from JSON, rejecting documents that are not one.
func Decode(rd io.Reader) (*Report, error) {
	var r Report
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("not an elight report: %w", err)
	}
	if r.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("report format version %d, this elight reads version %d", r.FormatVersion, FormatVersion)
	}
	if _, err := reorder.ParseStrategy(string(r.Strategy)); err != nil {
		return nil, fmt.Errorf("strategy: %w", err)
	}
	if r.Config.ScaleHeadroom == 0 {
		r.Config.ScaleHeadroom = 1 // reports from before the field: alpha = max|w|
	}
	return &r, nil
}
