package report

import (
	"fmt"
	"io"
	"text/tabwriter"
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
	fmt.Fprintf(w, "%s: %d-bit PCM levels (loss %g), %d x %d cores, %s\n",
		r.Model, r.Config.Bits, r.Config.PCMLoss, r.Config.Block, r.Config.Block, scale)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "layer\tmatrix\tcores x steps\twrites none\tsort\tcell\tcolumn\tblock\tmax cell (%s)\tenergy (%s)\tlatency ms (%s)\t\n",
		r.Strategy, r.Strategy, r.Strategy)
	for i := range r.Layers {
		l := &r.Layers[i]
		maxCell := l.MaxCellWrites.Get(r.Strategy)
		energy := l.Energy.Get(r.Strategy)
		latency := l.LatencyUS.Get(r.Strategy)
		fmt.Fprintf(tw, "%s\t%d x %d\t%d x %d\t%s\t%d\t%.4g\t%.4g\t\n", l.Name, l.Rows, l.Cols, l.BlockRows, l.BlockCols,
			writesColumns(&l.Writes), maxCell, energy, latency/1000)
	}
	t := &r.Totals
	maxCell := t.MaxCellWrites.Get(r.Strategy)
	energy := t.Energy.Get(r.Strategy)
	latency := t.LatencyUS.Get(r.Strategy)
	fmt.Fprintf(tw, "total\t\t\t%s\t%d\t%.4g\t%.4g\t\n", writesColumns(&t.Writes), maxCell, energy, latency/1000)
	if err := tw.Flush(); err != nil {
		return err
	}
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
		}
		fmt.Fprintf(w, "fine-tuned %d steps (%s, %s): %s writes %d before, %d after; %s fewer than the original order without fine-tuning\n",
			f.Steps, how, loss, r.Strategy, before, chosen, ratio(f.WritesBefore.None, chosen))
	}
	if a := r.Accuracy; a != nil {
		fmt.Fprintf(w, "top-1 accuracy on %d samples: float %.2f%%, quantized %.2f%%", a.Samples, 100*a.Float, 100*a.Quantized)
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
