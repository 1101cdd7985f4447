package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/elight-photonic/elight/reorder"
)

// WriteHTML writes the report as one self-contained HTML page: the tables
// of WriteTable and charts of the writes per layer, the lifetimes and, for
// a chip, the writes of every physical cell. Everything is inline (CSS and
// SVG, images as data URIs) so the page can be mailed or archived as one
// file and opens offline; the same report always gives the same bytes, so
// a page can be checked in and diffed.
func (r *Report) WriteHTML(w io.Writer) error {
	p, err := r.page()
	if err != nil {
		return err
	}
	// Whole before written, so that a failure leaves w without half a page.
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// page is what the template shows; the charts are rendered SVG.
type page struct {
	R        *Report
	Summary  string
	Device   string
	Scale    string
	Totals   []strategyRow
	Layers   []layerRow
	Writes   template.HTML
	Lifetime template.HTML
	// Unlimited says a lifetime bar stands for a layer nothing is written
	// to, drawn to the top of the axis.
	Unlimited bool
	Chip      *chipPage
	Finetune  *finetunePage
	Accuracy  []fact
}

type fact struct{ Name, Value string }

// strategyRow is one strategy's line of the totals table.
type strategyRow struct {
	Name      string
	Scheduled bool
	Writes    string
	Fewer     string
	MaxCell   string
	Energy    string
	LatencyMS string
	Lifetime  string
}

type layerRow struct {
	Name, Op, Weight, Matrix, Grid string
	Writes                         []string
	LowerBound                     string
	MaxCell, Lifetime              string
}

type chipPage struct {
	Cores    int
	Rows     []chipRow
	HeatMap  template.HTML
	Hottest  string
	MaxCell  template.HTML
	Writes   template.HTML
	FellBack bool
}

type chipRow struct {
	Name                                       string
	Scheduled, FellBack                        bool
	WritesNaive, WritesLevelled                string
	MaxNaive, MaxLevelled                      string
	LifetimeNaive, LifetimeLevelled, LatencyMS string
}

type finetunePage struct {
	Facts       []fact
	Search      []fact
	Checkpoints []checkpointRow
}

// lrText is a checkpoint's peak learning rate, "-" for the pretrained
// weights (and reports from before it was recorded).
func lrText(lr float64) string {
	if lr == 0 {
		return "-"
	}
	return fmt.Sprintf("%g", lr)
}

type checkpointRow struct {
	Index, Lambda, LR, Steps, Validation, Writes, MaxCell string
	Met, Chosen, Diverged                                 bool
}

func (r *Report) page() (*page, error) {
	if len(r.Layers) == 0 {
		return nil, fmt.Errorf("report has no layers to draw")
	}
	p := &page{R: r}
	s := r.Strategy
	t := &r.Totals
	p.Summary = fmt.Sprintf("Strategy %s: %s writes per inference, %s fewer than programming in the original order; the most-written cell lasts %s.",
		s, thousands(t.Writes.Get(s)), ratio(t.Writes.None, t.Writes.Get(s)), lasts(t.Lifetime.Get(s)))
	if c := r.Chip; c != nil {
		p.Summary += fmt.Sprintf(" On the chip of %d cores, wear-levelled: %s.", c.Cores, lasts(c.Levelled.Lifetime.Get(s)))
	}
	p.Device = r.Config.Device.Name
	if p.Device == "" {
		p.Device = "profile"
	}
	p.Scale = "one per tensor"
	if r.Config.Scale == "row" {
		p.Scale = "one per output row, applied electronically at the core's output"
	}
	if r.Config.ScaleHeadroom > 1 {
		p.Scale += fmt.Sprintf(", alpha = %g x max|w|", r.Config.ScaleHeadroom)
	}
	for _, st := range reorder.Strategies() {
		p.Totals = append(p.Totals, strategyRow{
			Name: string(st), Scheduled: st == s,
			Writes: thousands(t.Writes.Get(st)), Fewer: ratio(t.Writes.None, t.Writes.Get(st)),
			MaxCell: thousands(t.MaxCellWrites.Get(st)), Energy: fmt.Sprintf("%.4g", t.Energy.Get(st)),
			LatencyMS: fmt.Sprintf("%.4g", t.LatencyUS.Get(st)/1000), Lifetime: lifetime(t.Lifetime.Get(st)),
		})
	}
	for i := range r.Layers {
		l := &r.Layers[i]
		row := layerRow{
			Name: l.Name, Op: l.Op, Weight: l.Weight,
			Matrix: fmt.Sprintf("%d x %d", l.Rows, l.Cols), Grid: fmt.Sprintf("%d x %d", l.BlockRows, l.BlockCols),
			LowerBound: thousands(l.ColumnLowerBound), MaxCell: thousands(l.MaxCellWrites.Get(s)), Lifetime: lifetime(l.Lifetime.Get(s)),
		}
		for _, st := range reorder.Strategies() {
			row.Writes = append(row.Writes, thousands(l.Writes.Get(st)))
		}
		p.Layers = append(p.Layers, row)
	}
	var err error
	if p.Writes, err = r.writesChart(); err != nil {
		return nil, err
	}
	if p.Lifetime, p.Unlimited, err = r.lifetimeChart(); err != nil {
		return nil, err
	}
	if r.Chip != nil {
		if p.Chip, err = r.chipPage(); err != nil {
			return nil, err
		}
	}
	if a := r.Accuracy; a != nil {
		p.Accuracy = []fact{
			{"samples", thousands(int64(a.Samples))},
			{"float model", top1(a.Float)},
		}
		if a.Quantized != nil {
			p.Accuracy = append(p.Accuracy, fact{"quantized", top1(*a.Quantized)})
		}
		if a.Finetuned != nil {
			p.Accuracy = append(p.Accuracy, fact{"fine-tuned and quantized", top1(*a.Finetuned)})
		}
	}
	if r.Finetune != nil {
		p.Finetune = r.finetunePage()
	}
	return p, nil
}

func (r *Report) chipPage() (*chipPage, error) {
	c := r.Chip
	cp := &chipPage{Cores: c.Cores, FellBack: len(c.FellBack) > 0}
	for _, st := range reorder.Strategies() {
		cp.Rows = append(cp.Rows, chipRow{
			Name: string(st), Scheduled: st == r.Strategy, FellBack: slices.Contains(c.FellBack, st),
			WritesNaive: thousands(c.Naive.Writes.Get(st)), WritesLevelled: thousands(c.Levelled.Writes.Get(st)),
			MaxNaive: thousands(c.Naive.MaxCellWrites.Get(st)), MaxLevelled: thousands(c.Levelled.MaxCellWrites.Get(st)),
			LifetimeNaive: lifetime(c.Naive.Lifetime.Get(st)), LifetimeLevelled: lifetime(c.Levelled.Lifetime.Get(st)),
			LatencyMS: fmt.Sprintf("%.4g", c.Levelled.LatencyUS.Get(st)/1000),
		})
	}
	var err error
	if cp.HeatMap, cp.Hottest, err = r.heatMap(); err != nil {
		return nil, err
	}
	if cp.MaxCell, err = r.chipChart("Most-written cell per inference", "writes of the most-written cell", func(f *Figures, s reorder.Strategy) float64 {
		return float64(f.MaxCellWrites.Get(s))
	}); err != nil {
		return nil, err
	}
	if cp.Writes, err = r.chipChart("Writes per inference on the chip", "writes", func(f *Figures, s reorder.Strategy) float64 {
		return float64(f.Writes.Get(s))
	}); err != nil {
		return nil, err
	}
	return cp, nil
}

func (r *Report) finetunePage() *finetunePage {
	f := r.Finetune
	s := r.Strategy
	fp := &finetunePage{}
	lambda := fmt.Sprintf("%g", f.Lambda)
	if n := len(f.LambdaSchedule); n > 0 {
		parts := make([]string, n)
		for i, l := range f.LambdaSchedule {
			parts[i] = fmt.Sprintf("%g", l)
		}
		lambda = fmt.Sprintf("%d segments of %d steps: %s", n, f.SegmentSteps, strings.Join(parts, ", "))
	}
	loss := f.Loss
	if f.Reference != "" {
		loss += " to " + f.Reference
	}
	after := r.Totals.Writes.Get(s)
	fp.Facts = []fact{
		{"data", f.Data},
		{"steps x batch", fmt.Sprintf("%d x %d", f.Steps, f.BatchSize)},
		{"write penalty (lambda)", lambda},
		{"write loss", loss},
		{"optimizer", fmt.Sprintf("%s, lr %g, %s schedule, %d warm-up steps, weight decay %g", f.Optimizer, f.LR, f.Schedule, f.Warmup, f.WeightDecay)},
		{"distillation", distillation(f)},
		{"seed", strconv.FormatUint(f.Seed, 10)},
	}
	if f.Calibration > 0 {
		fp.Facts = append(fp.Facts, fact{"calibration images", thousands(int64(f.Calibration))})
	}
	if f.Validation > 0 {
		fp.Facts = append(fp.Facts, fact{"validation images (held out of training)", thousands(int64(f.Validation))})
	}
	fp.Facts = append(fp.Facts,
		fact{fmt.Sprintf("%s writes before, after", s), fmt.Sprintf("%s, %s (%s fewer)", thousands(f.WritesBefore.Get(s)), thousands(after), ratio(f.WritesBefore.Get(s), after))},
		fact{fmt.Sprintf("%s most-written cell before, after", s), fmt.Sprintf("%s, %s", thousands(f.MaxCellWritesBefore.Get(s)), thousands(r.Totals.MaxCellWrites.Get(s)))},
		fact{"fewer writes than the original order without fine-tuning", ratio(f.WritesBefore.None, after)},
	)
	if sr := f.Search; sr != nil {
		fp.Search = []fact{
			{"accuracy budget", fmt.Sprintf("%g points below the float model's validation top-1 %s (at least %s)", sr.MaxDrop, top1(sr.ValidationFloat), top1(sr.MinValidation))},
			{"time budget", sr.Budget},
			{"stopped by", sr.Stopped},
			{"kept checkpoint", strconv.Itoa(sr.Chosen)},
			{"flags that train it without a search", sr.Replay},
		}
		if sr.Cautious {
			fp.Search = append(fp.Search, fact{"start", fmt.Sprintf("cautious (%s): too few segments fit the time budget for a bold start", f.startText())})
		}
		for _, c := range sr.Checkpoints {
			fp.Checkpoints = append(fp.Checkpoints, checkpointRow{
				Index: strconv.Itoa(c.Index), Lambda: fmt.Sprintf("%g", c.Lambda), LR: lrText(c.LR), Steps: strconv.Itoa(c.Steps),
				Validation: top1(c.Validation), Writes: thousands(c.Writes), MaxCell: thousands(c.MaxCellWrites),
				Met: c.Met, Chosen: c.Index == sr.Chosen, Diverged: c.Diverged,
			})
		}
	}
	return fp
}

// lasts words a lifetime for a sentence.
func lasts(inferences float64) string {
	if inferences == 0 {
		return "for ever, as nothing is written"
	}
	return lifetime(inferences) + " inferences"
}

func distillation(f *Finetune) string {
	if !f.Distillation {
		return "no"
	}
	return fmt.Sprintf("from the float model, temperature %g", f.Temperature)
}

// thousands writes n with thousands separators: write counts run to tens of
// millions and are compared by eye.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// top1 writes an accuracy, a fraction, as a percentage.
func top1(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="elight">
<title>elight report: {{.R.Model}}</title>
<style>
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; margin: 2em auto; max-width: 1040px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; word-break: break-all; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.chosen td { font-weight: bold; background: #f3f6fb; }
table.facts th { font-weight: normal; color: #555; }
figure { margin: 1em 0; }
figcaption { font-size: 0.9em; color: #444; max-width: 960px; }
/* gonum/plot measured its labels with Liberation's metrics; Arial and
   Helvetica share them, so labels keep their room where Liberation is
   missing. */
svg text { font-family: "Liberation Sans", Arial, Helvetica, sans-serif !important; }
svg { max-width: 100%; height: auto; display: block; }
/* One pixel is one PCM cell in the heat map: no smoothing between cells. */
svg image { image-rendering: pixelated; }
code { font-size: 0.9em; }
.scroll { overflow-x: auto; }
table.small { font-size: 0.8em; }
</style>
</head>
<body>
<h1>elight report: {{.R.Model}}</h1>
<p>{{.Summary}}</p>

<h2>Configuration</h2>
<table class="facts">
<tr><th>model</th><td><code>{{.R.Model}}</code></td></tr>
<tr><th>model SHA-256</th><td><code>{{.R.ModelSHA256}}</code></td></tr>
<tr><th>programming order of the schedule</th><td>{{.R.Strategy}}</td></tr>
<tr><th>PCM levels</th><td>{{.R.Config.Bits}} bits, loss {{.R.Config.PCMLoss}} per level</td></tr>
<tr><th>core size</th><td>{{.R.Config.Block}} x {{.R.Config.Block}} cells</td></tr>
<tr><th>weight scale</th><td>{{.Scale}}</td></tr>
<tr><th>chip</th><td>{{if .R.Config.Cores}}{{.R.Config.Cores}} physical cores{{else}}every layer on cores of its own, from cleared cells{{end}}</td></tr>
<tr><th>fine-tuned</th><td>{{if .R.Config.Finetune}}yes{{else}}no{{end}}</td></tr>
<tr><th>device</th><td>{{.Device}}</td></tr>
<tr><th>endurance</th><td>{{.R.Config.Device.Endurance}} writes a cell</td></tr>
<tr><th>step up, down</th><td>{{.R.Config.Device.TUpUS}} us, {{.R.Config.Device.TDownUS}} us; energy {{.R.Config.Device.EUp}}, {{.R.Config.Device.EDown}} (the profile's unit)</td></tr>
</table>

<h2>Totals per strategy</h2>
<table>
<tr><th>strategy</th><th class="n">writes</th><th class="n">fewer than none</th><th class="n">most-written cell</th><th class="n">energy</th><th class="n">latency ms</th><th class="n">lifetime (inferences)</th></tr>
{{range .Totals}}<tr{{if .Scheduled}} class="chosen"{{end}}><td>{{.Name}}{{if .Scheduled}} (schedule){{end}}</td><td class="n">{{.Writes}}</td><td class="n">{{.Fewer}}</td><td class="n">{{.MaxCell}}</td><td class="n">{{.Energy}}</td><td class="n">{{.LatencyMS}}</td><td class="n">{{.Lifetime}}</td></tr>
{{end}}</table>
<p>Every layer is accounted on cores of its own, one per block row, programmed from cleared cells; the most-written cell is the largest of any layer.</p>

<h2>Writes per layer</h2>
<figure>
{{.Writes}}
<figcaption>PCM level steps to program each layer once, per programming order, on a log scale.</figcaption>
</figure>
<div class="scroll"><table class="small">
<tr><th>layer</th><th>op</th><th class="n">matrix</th><th class="n">cores x steps</th><th class="n">writes none</th><th class="n">sort</th><th class="n">cell</th><th class="n">column</th><th class="n">block</th><th class="n" title="no order shared by a column's cells needs fewer writes">bound</th><th class="n">max cell ({{.R.Strategy}})</th><th class="n">lifetime ({{.R.Strategy}})</th></tr>
{{range .Layers}}<tr><td title="weight {{.Weight}}">{{.Name}}</td><td>{{.Op}}</td><td class="n">{{.Matrix}}</td><td class="n">{{.Grid}}</td>{{range .Writes}}<td class="n">{{.}}</td>{{end}}<td class="n">{{.LowerBound}}</td><td class="n">{{.MaxCell}}</td><td class="n">{{.Lifetime}}</td></tr>
{{end}}</table></div>

<h2>Lifetime</h2>
<figure>
{{.Lifetime}}
<figcaption>Inferences until the most-written cell of each layer, and of the whole model, reaches the device's endurance ({{.R.Config.Device.Endurance}} writes), per programming order, on a log scale.{{if .Unlimited}} A bar up to the top of the axis is unlimited: nothing is written, so nothing wears.{{end}}</figcaption>
</figure>
{{with .Chip}}
<h2>On a chip of {{.Cores}} physical cores</h2>
<p>Every layer's block rows are assigned to the cores and programmed one after another; each cell starts from what the block before left in it, and an inference starts from the state the one before left (steady state). The naive assignment puts block row i on core i mod {{.Cores}}; the levelled one is chosen to spread the writes.</p>
<table>
<tr><th>strategy</th><th class="n">writes naive</th><th class="n">levelled</th><th class="n">most-written cell naive</th><th class="n">levelled</th><th class="n">lifetime naive</th><th class="n">levelled</th><th class="n">latency ms levelled</th></tr>
{{range .Rows}}<tr{{if .Scheduled}} class="chosen"{{end}}><td>{{.Name}}{{if .Scheduled}} (schedule){{end}}{{if .FellBack}} (naive kept){{end}}</td><td class="n">{{.WritesNaive}}</td><td class="n">{{.WritesLevelled}}</td><td class="n">{{.MaxNaive}}</td><td class="n">{{.MaxLevelled}}</td><td class="n">{{.LifetimeNaive}}</td><td class="n">{{.LifetimeLevelled}}</td><td class="n">{{.LatencyMS}}</td></tr>
{{end}}</table>
{{if .FellBack}}<p>"Naive kept": the levelling heuristic did worse than the naive assignment for that order, so its levelled figures are the naive ones.</p>{{end}}
<figure>
{{.HeatMap}}
<figcaption>Writes per inference of every cell of each physical core under the schedule ({{$.R.Strategy}}, levelled), one colour scale for all cores; cell row 0 at the top. {{.Hottest}}</figcaption>
</figure>
<figure>
{{.MaxCell}}
<figcaption>The most-written cell sets the chip's lifetime: fewer writes to it, more inferences.</figcaption>
</figure>
<figure>
{{.Writes}}
<figcaption>Total writes per inference, naive and levelled: levelling aims at the most-written cell, so the total may move a little either way.</figcaption>
</figure>
{{end}}
{{with .Accuracy}}
<h2>Accuracy</h2>
<table class="facts">
{{range .}}<tr><th>{{.Name}}</th><td class="n">{{.Value}}</td></tr>
{{end}}</table>
<p>Top-1 on held-out test data.</p>
{{end}}
{{with .Finetune}}
<h2>Write-aware fine-tuning</h2>
<table class="facts">
{{range .Facts}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{with .Search}}
<h3>Search</h3>
<table class="facts">
{{range .}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}
{{with .Checkpoints}}
<table>
<tr><th class="n">checkpoint</th><th class="n">lambda</th><th class="n">peak lr</th><th class="n">steps</th><th class="n">validation top-1</th><th class="n">writes</th><th class="n">most-written cell</th><th>within budget</th></tr>
{{range .}}<tr{{if .Chosen}} class="chosen"{{end}}><td class="n">{{.Index}}{{if .Chosen}} (kept){{end}}</td><td class="n">{{.Lambda}}</td><td class="n">{{.LR}}</td><td class="n">{{.Steps}}</td><td class="n">{{.Validation}}</td><td class="n">{{.Writes}}</td><td class="n">{{.MaxCell}}</td><td>{{if .Diverged}}diverged, dropped{{else if .Met}}yes{{else}}no{{end}}</td></tr>
{{end}}</table>
{{end}}
{{end}}
{{with .R.Notes}}
<h2>Notes</h2>
<ul>
{{range .}}<li>{{.}}</li>
{{end}}</ul>
{{end}}
<p><small>Written by elight from a report of format version {{.R.FormatVersion}}.</small></p>
</body>
</html>
`))
