package elight

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
)

// TestVerifyChipCatchesTampering optimizes the testdata ResNet for a chip
// of 4 cores and checks that Verify accepts the outputs, then refuses each
// of them altered: a report whose chip figures or cell writes differ, and
// a model whose metadata records other chip writes.
func TestVerifyChipCatchesTampering(t *testing.T) {
	path := "testdata/resnet/resnet_bnfold_op13.onnx"
	source, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Optimize(context.Background(), Run{Source: source, Path: path, Hardware: Hardware{
		Quant: quantize.Config{Bits: 4, PCMLoss: 0.128}, Block: 64, Strategy: reorder.Cell,
		Profile: reorder.DefaultProfile(), Cores: 4,
	}})
	if err != nil {
		t.Fatal(err)
	}
	model, schedule, _, err := res.Encode()
	if err != nil {
		t.Fatal(err)
	}
	annotated, err := onnxio.Parse(model, "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(annotated, schedule, res.Report)
	if err != nil {
		t.Fatal(err)
	}
	if v.Chip == nil || v.Chip.Writes != res.Report.Chip.Levelled.Writes.Cell {
		t.Fatalf("verified chip %+v, report %+v", v.Chip, res.Report.Chip.Levelled)
	}

	rep := res.Report
	rep.Chip.Levelled.MaxCellWrites.Cell++
	if _, err := Verify(annotated, schedule, rep); err == nil || !strings.Contains(err.Error(), "chip section") {
		t.Errorf("report with another most-written cell: %v", err)
	}
	rep.Chip.Levelled.MaxCellWrites.Cell--
	rep.Chip.CellWrites[3][0]++
	if _, err := Verify(annotated, schedule, rep); err == nil || !strings.Contains(err.Error(), "core 3") {
		t.Errorf("report with other cell writes: %v", err)
	}
	rep.Chip.CellWrites[3][0]--

	annotated.SetMetadata("elight.chip", `{"cores":4,"writes":1,"max_cell_writes":1}`)
	if _, err := Verify(annotated, schedule, nil); err == nil || !strings.Contains(err.Error(), "replaying the chip plan") {
		t.Errorf("metadata with other chip writes: %v", err)
	}
}
