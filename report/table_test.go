package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestCautiousStartText checks that the table and the HTML page say how a
// cautious search started from what the report records, the fine-tuning
// run's learning rate and whether it distilled.
func TestCautiousStartText(t *testing.T) {
	for _, c := range []struct {
		lr      float64
		distill bool
		want    string
	}{
		{1e-4, true, "lr 0.0001, distilled"},
		{3e-5, false, "lr 3e-05, on the labels"},
	} {
		r := htmlReport(false)
		r.Finetune.LR, r.Finetune.Distillation, r.Finetune.Search.Cautious = c.lr, c.distill, true
		var table bytes.Buffer
		if err := r.WriteTable(&table); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(table.String(), "started cautiously ("+c.want+")") {
			t.Errorf("table lacks %q:\n%s", c.want, table.String())
		}
		if page := renderHTML(t, r); !strings.Contains(page, "cautious ("+c.want+")") {
			t.Errorf("HTML page lacks %q", c.want)
		}
		r.Finetune.Search.Cautious = false
		table.Reset()
		if err := r.WriteTable(&table); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(table.String(), "cautious") {
			t.Errorf("a search that did not start cautiously says it did:\n%s", table.String())
		}
	}
}
