package elight

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
)

// TestExportsGiveIdenticalWrites: every export of one testdata network
// (BatchNorm folded by the exporter or kept, opsets 11 to 17, constant
// folding on or off, external data) gives the same writes and the same
// most-written cell under every strategy, and leaves no
// BatchNormalization in the annotated model: elight folds what the
// exporter did not, with the same result.
func TestExportsGiveIdenticalWrites(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/*")
	checked := 0
	for _, dir := range dirs {
		exports, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
		if len(exports) < 2 {
			continue
		}
		checked++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var first string
			var want [2]any
			for _, path := range exports {
				source, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				res, err := Optimize(context.Background(), Run{Source: source, Path: path, Hardware: Hardware{
					Quant: quantize.Config{Bits: 4, PCMLoss: 0.128}, Block: 64, Strategy: reorder.Cell, Profile: reorder.DefaultProfile(),
				}})
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				for _, n := range res.Model.Graph.Nodes {
					if n.OpType == "BatchNormalization" {
						t.Errorf("%s: BatchNormalization %q left in the annotated model", path, n.Name)
					}
				}
				got := [2]any{res.Report.Totals.Writes, res.Report.Totals.MaxCellWrites}
				if first == "" {
					first, want = path, got
				} else if got != want {
					t.Errorf("%s: writes and most-written cells %v; %s gives %v", path, got, first, want)
				}
			}
		})
	}
	if checked < 2 {
		t.Fatalf("%d testdata networks with several exports, want at least 2", checked)
	}
}
