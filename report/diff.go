package report

import (
	"fmt"
	"github.com/elight-photonic/elight/reorder"
	"io"
	"text/tabwriter"
)

// Change says how a layer of one report relates to the other.
type Change string

// The kinds of layer change.
const (
	Same    Change = "same"    // same name in both reports
	Renamed Change = "renamed" // different name, same matrix shape at the same position
	Added   Change = "added"
	Removed Change = "removed"
)

// LayerDiff compares one layer across two reports.
type LayerDiff struct {
	Change     Change
	OldName    string
	NewName    string
	Rows, Cols int   // of the new layer, or of the old one when removed
	OldWrites  int64 // under the compared strategy; 0 when added
	NewWrites  int64 // 0 when removed
}

// Diff is the comparison of an old and a new report.
type Diff struct {
	Strategy  reorder.Strategy // strategy whose writes are compared: the new report's
	Layers    []LayerDiff
	OldTotal  int64
	NewTotal  int64
	OldConfig Config
	NewConfig Config
}

// Compare matches the layers of two reports, first by node name and then,
// for layers renamed between model versions, by matrix shape in model
// order, and compares their writes under the new report's strategy.
func Compare(old, new *Report) (*Diff, error) {
	d := &Diff{Strategy: new.Strategy, OldConfig: old.Config, NewConfig: new.Config}
	d.OldTotal, d.NewTotal = old.Totals.Writes.Get(d.Strategy), new.Totals.Writes.Get(d.Strategy)

	match := make([]int, len(new.Layers)) // new index -> old index, -1 if none
	usedOld := make([]bool, len(old.Layers))
	byName := map[string]int{}
	for i, l := range old.Layers {
		byName[l.Name] = i
	}
	for j, l := range new.Layers {
		match[j] = -1
		if i, ok := byName[l.Name]; ok && !usedOld[i] {
			match[j], usedOld[i] = i, true
		}
	}
	// A renamed layer keeps its shape and its place among the unmatched
	// layers: walk both lists in order and pair equal shapes.
	next := 0
	for j, l := range new.Layers {
		if match[j] >= 0 {
			next = max(next, match[j]+1)
			continue
		}
		for i := next; i < len(old.Layers); i++ {
			if !usedOld[i] && old.Layers[i].Rows == l.Rows && old.Layers[i].Cols == l.Cols {
				match[j], usedOld[i], next = i, true, i+1
				break
			}
		}
	}
	for j := range new.Layers {
		nl := &new.Layers[j]
		ld := LayerDiff{Change: Added, NewName: nl.Name, Rows: nl.Rows, Cols: nl.Cols}
		ld.NewWrites = nl.Writes.Get(d.Strategy)
		if i := match[j]; i >= 0 {
			ol := &old.Layers[i]
			ld.OldName = ol.Name
			ld.OldWrites = ol.Writes.Get(d.Strategy)
			ld.Change = Same
			if ol.Name != nl.Name {
				ld.Change = Renamed
			}
		}
		d.Layers = append(d.Layers, ld)
	}
	for i := range old.Layers {
		if !usedOld[i] {
			ol := &old.Layers[i]
			ld := LayerDiff{Change: Removed, OldName: ol.Name, Rows: ol.Rows, Cols: ol.Cols}
			ld.OldWrites = ol.Writes.Get(d.Strategy)
			d.Layers = append(d.Layers, ld)
		}
	}
	return d, nil
}

// GrowthPercent is the change of total writes in percent of the old total.
func (d *Diff) GrowthPercent() float64 {
	return percent(d.OldTotal, d.NewTotal)
}

func percent(old, new int64) float64 {
	if old == 0 {
		if new == 0 {
			return 0
		}
		return 100
	}
	return 100 * float64(new-old) / float64(old)
}

// WriteTable prints the per-layer and total changes.
func (d *Diff) WriteTable(w io.Writer) error {
	if d.OldConfig != d.NewConfig {
		fmt.Fprintf(w, "note: the reports were made with different configurations:\n  old %+v\n  new %+v\n", d.OldConfig, d.NewConfig)
	}
	fmt.Fprintf(w, "writes under strategy %s\n", d.Strategy)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tmatrix\told\tnew\tchange\t\t")
	for _, l := range d.Layers {
		name, note := l.NewName, ""
		switch l.Change {
		case Renamed:
			note = "renamed from " + l.OldName
		case Added:
			note = "added"
		case Removed:
			name, note = l.OldName, "removed"
		}
		fmt.Fprintf(tw, "%s\t%d x %d\t%s\t%s\t%s\t%s\t\n", name, l.Rows, l.Cols,
			count(l.OldWrites, l.Change != Added), count(l.NewWrites, l.Change != Removed),
			change(l.OldWrites, l.NewWrites, l.Change == Same || l.Change == Renamed), note)
	}
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%+.2f%%\t\t\n", d.OldTotal, d.NewTotal, d.GrowthPercent())
	return tw.Flush()
}

func count(v int64, present bool) string {
	if !present {
		return "-"
	}
	return fmt.Sprint(v)
}

func change(old, new int64, both bool) string {
	if !both {
		return ""
	}
	return fmt.Sprintf("%+.2f%%", percent(old, new))
}
