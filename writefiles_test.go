package elight

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
)

// TestWriteFilesMatchesEncode checks that the streamed files are the bytes
// Encode returns, and that an ended context, or a schedule that cannot be
// written (the model, written beside it, waits for its digest), leaves no
// file.
func TestWriteFilesMatchesEncode(t *testing.T) {
	path := "testdata/vgg8/vgg8_bn_op13.onnx"
	source, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Optimize(context.Background(), Run{Source: source, Path: path, Hardware: Hardware{
		Quant: quantize.Config{Bits: 4, PCMLoss: 0.128}, Block: 64, Strategy: reorder.Cell,
		Profile: reorder.DefaultProfile(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := map[string]string{"model": filepath.Join(dir, "q.onnx"), "schedule": filepath.Join(dir, "q.sched"), "report": filepath.Join(dir, "q.json")}
	if err := res.WriteFiles(context.Background(), out["model"], out["schedule"], out["report"], path); err != nil {
		t.Fatal(err)
	}
	model, schedule, rep, err := res.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"model": model, "schedule": schedule, "report": rep} {
		got, err := os.ReadFile(out[name])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("the %s WriteFiles wrote differs from Encode's", name)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	other := t.TempDir()
	err = res.WriteFiles(ctx, filepath.Join(other, "q.onnx"), filepath.Join(other, "q.sched"), filepath.Join(other, "q.json"))
	if !errors.Is(err, ErrInterrupted) {
		t.Errorf("WriteFiles after the context ended: %v, want ErrInterrupted", err)
	}
	if entries, _ := os.ReadDir(other); len(entries) != 0 {
		t.Errorf("WriteFiles after the context ended left %d files", len(entries))
	}

	res.Schedule.Header.Block = 7 // its orders' grids are of 64 x 64 blocks
	broken := t.TempDir()
	err = res.WriteFiles(context.Background(), filepath.Join(broken, "q.onnx"), filepath.Join(broken, "q.sched"), filepath.Join(broken, "q.json"))
	if err == nil || !strings.Contains(err.Error(), "q.sched") {
		t.Errorf("WriteFiles of a schedule that cannot be encoded: %v, want an error naming q.sched", err)
	}
	if entries, _ := os.ReadDir(broken); len(entries) != 0 {
		t.Errorf("WriteFiles of a schedule that cannot be encoded left %d files", len(entries))
	}
}
