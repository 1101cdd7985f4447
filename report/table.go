package report

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/elight-photonic/elight/reorder"
)

// WriteTable prints the report as a table: per layer the writes of every
// strategy, then the chosen strategy's max cell writes, energy and latency.
func (r *Report) WriteTable(w io.Writer) error {
	scale := "one scale per tensor"
	if r.Config.Scale == "row" {
		scale = "one scale per output row, applied electronically at the core's output"
	}
	if r.Config.ScaleHeadroom > 1 {
		scale += fmt.Sprintf(", alpha = %g x max|w|", r.Config.ScaleHeadroom)
	}
	device := r.Config.Device
	name := device.Name
	if name == "" {
		name = "profile"
	}
	fmt.Fprintf(w, "%s: %d-bit PCM levels (loss %g), %d x %d cores, %s; device %s (endurance %g writes a cell)\n",
		r.Model, r.Config.Bits, r.Config.PCMLoss, r.Config.Block, r.Config.Block, scale, name, device.Endurance)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "layer\tmatrix\tcores x steps\twrites none\tsort\tcell\tcolumn\tblock\tmax cell (%s)\tenergy (%s)\tlatency ms (%s)\tlifetime (%s)\t\n",
		r.Strategy, r.Strategy, r.Strategy, r.Strategy)
	for i := range r.Layers {
		l := &r.Layers[i]
		fmt.Fprintf(tw, "%s\t%d x %d\t%d x %d\t%s\t%s\t\n", l.Name, l.Rows, l.Cols, l.BlockRows, l.BlockCols,
			writesColumns(&l.Writes), r.costColumns(&l.Figures))
	}
	fmt.Fprintf(tw, "total\t\t\t%s\t%s\t\n", writesColumns(&r.Totals.Writes), r.costColumns(&r.Totals))
	if err := tw.Flush(); err != nil {
		return err
	}
	if c := r.Chip; c != nil {
		if err := r.writeChipTable(w, c); err != nil {
			return err
		}
	}
	t := &r.Totals
	chosen := t.Writes.Get(r.Strategy)
	fmt.Fprintf(w, "strategy %s: %d writes, %s fewer than programming in the original order\n",
		r.Strategy, chosen, ratio(t.Writes.None, chosen))
	if f := r.Finetune; f != nil {
		before := f.WritesBefore.Get(r.Strategy)
		loss := f.Loss + " to " + f.Reference
		if f.Loss == "cell" {
			loss = "cell loss" // it has no reference block
		}
		how := fmt.Sprintf("lambda %g", f.Lambda)
		if n := len(f.LambdaSchedule); n > 0 {
			how = fmt.Sprintf("%d segments, lambda %g to %g", n, f.LambdaSchedule[0], f.LambdaSchedule[n-1])
		}
		if s := f.Search; s != nil {
			fmt.Fprintf(w, "searched %d segments within %g points of the float model's validation top-1 %.2f%%; kept checkpoint %d (stopped by %s)\n",
				len(s.Checkpoints)-1, s.MaxDrop, 100*s.ValidationFloat, s.Chosen, s.Stopped)
			if s.Cautious {
				fmt.Fprintf(w, "started cautiously (%s): too few segments fit the time budget for a bold start\n", f.startText())
			}
		}
		fmt.Fprintf(w, "fine-tuned %d steps (%s, %s): %s writes %d before, %d after; %s fewer than the original order without fine-tuning\n",
			f.Steps, how, loss, r.Strategy, before, chosen, ratio(f.WritesBefore.None, chosen))
	}
	if a := r.Accuracy; a != nil {
		fmt.Fprintf(w, "top-1 accuracy on %d samples: float %.2f%%", a.Samples, 100*a.Float)
		if a.Quantized != nil {
			fmt.Fprintf(w, ", quantized %.2f%%", 100**a.Quantized)
		}
		if a.Finetuned != nil {
			fmt.Fprintf(w, ", fine-tuned %.2f%%", 100**a.Finetuned)
		}
		fmt.Fprintln(w)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

// costColumns formats the report strategy's most-written cell, energy,
// latency and lifetime.
func (r *Report) costColumns(f *Figures) string {
	s := r.Strategy
	return fmt.Sprintf("%d\t%.4g\t%.4g\t%s", f.MaxCellWrites.Get(s), f.Energy.Get(s), f.LatencyUS.Get(s)/1000, lifetime(f.Lifetime.Get(s)))
}

// writeChipTable prints the chip's figures per strategy, naive and
// wear-levelled.
func (r *Report) writeChipTable(w io.Writer, c *Chip) error {
	fmt.Fprintf(w, "on a chip of %d cores, one inference in steady state (the schedule holds the levelled %s plan):\n", c.Cores, r.Strategy)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\twrites naive\tlevelled\tmax cell naive\tlevelled\tlifetime naive\tlevelled\tlatency ms levelled\t")
	for _, s := range reorder.Strategies() {
		note := ""
		if slices.Contains(c.FellBack, s) {
			note = " (naive kept)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%.4g\t%s\n", s, c.Naive.Writes.Get(s), c.Levelled.Writes.Get(s),
			c.Naive.MaxCellWrites.Get(s), c.Levelled.MaxCellWrites.Get(s), lifetime(c.Naive.Lifetime.Get(s)), lifetime(c.Levelled.Lifetime.Get(s)),
			c.Levelled.LatencyUS.Get(s)/1000, note)
	}
	return tw.Flush()
}

// lifetime formats a lifetime in inferences; 0 means nothing is written.
func lifetime(inferences float64) string {
	if inferences == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%.3g", inferences)
}

func writesColumns(p *PerStrategy[int64]) string {
	return fmt.Sprintf("%d\t%d\t%d\t%d\t%d", p.None, p.Sort, p.Cell, p.Column, p.Block)
}

// ratio formats how many times fewer b is than a.
func ratio(a, b int64) string {
	if b == 0 {
		if a == 0 {
			return "1x"
		}
		return "infinitely"
	}
	return fmt.Sprintf("%.2fx", float64(a)/float64(b))
}

// startText says how a fine-tuning run started: its peak learning rate,
// and whether it distilled from the float model or trained on labels.
func (f *Finetune) startText() string {
	if f.Distillation {
		return fmt.Sprintf("lr %g, distilled", f.LR)
	}
	return fmt.Sprintf("lr %g, on the labels", f.LR)
}
