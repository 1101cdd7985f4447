package report_test

import (
	"fmt"

	"github.com/elight-photonic/elight/report"
)

// Compare two versions of a model's report, as a pipeline does before it
// accepts a new model: the cell order's writes grew by a quarter.
func ExampleCompare() {
	version := func(writes int64) *report.Report {
		r := &report.Report{Strategy: "cell", Layers: []report.Layer{{Name: "conv1", Op: "Conv", Rows: 64, Cols: 27, BlockRows: 1, BlockCols: 1}}}
		r.Layers[0].Writes.Set("cell", writes)
		r.Sum()
		return r
	}
	d, err := report.Compare(version(800), version(1000))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s writes %d -> %d, %+.1f%%\n", d.Strategy, d.OldTotal, d.NewTotal, d.GrowthPercent())
	// Output:
	// cell writes 800 -> 1000, +25.0%
}
