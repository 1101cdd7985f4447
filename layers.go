package elight

import (
	"context"
	"errors"
	"fmt"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
	"github.com/elight-photonic/elight/report"
)

// ErrInterrupted is returned when the context ends a run: nothing of it
// is to be written.
var ErrInterrupted = errors.New("interrupted; nothing written")

// Hardware is the photonic hardware a model is prepared for: the PCM
// levels, the core size, the programming order the schedule uses and the
// device profile that prices writes.
type Hardware struct {
	Quant    quantize.Config
	Block    int // core size K
	Strategy reorder.Strategy
	Profile  reorder.Profile
}

// QuantizeLayers quantizes every photonic layer of m in place (m's
// weights become the dequantized levels), accounts every strategy, and
// returns the report and the schedule of hw.Strategy.
func QuantizeLayers(ctx context.Context, m *onnxio.Model, hw Hardware) (*report.Report, *reorder.Schedule, error) {
	layers := m.Graph.PhotonicLayers()
	if len(layers) == 0 {
		return nil, nil, fmt.Errorf("no Conv, Gemm or MatMul layer with a constant weight: nothing maps onto photonic cores")
	}
	rep := &report.Report{
		FormatVersion: report.FormatVersion,
		Config: report.Config{
			Bits: hw.Quant.Bits, Block: hw.Block, PCMLoss: hw.Quant.PCMLoss, Scale: "tensor", ScaleHeadroom: hw.Quant.ScaleFactor(),
			Device: report.Device(hw.Profile),
		},
		Strategy: hw.Strategy,
	}
	if hw.Quant.PerRow {
		rep.Config.Scale = "row"
		rep.Notes = append(rep.Notes, "scale is per output row: each row's scale is applied electronically at the core's output")
	}
	sched := &reorder.Schedule{Header: reorder.ScheduleHeader{
		Strategy: hw.Strategy, Block: hw.Block, Bits: hw.Quant.Bits, PCMLoss: hw.Quant.PCMLoss, PerRowScale: hw.Quant.PerRow,
	}}
	for _, l := range layers {
		if ctx.Err() != nil {
			return nil, nil, ErrInterrupted
		}
		w := m.Graph.Initializers[l.Weight]
		lv, err := quantize.Quantize(l.Matrix(w), l.Rows, l.Cols, hw.Quant)
		if err != nil {
			return nil, nil, fmt.Errorf("layer %q weight %q: %w", l.Node.Name, l.Weight, err)
		}
		part, err := reorder.Partition(lv, hw.Block)
		if err != nil {
			return nil, nil, fmt.Errorf("layer %q: %w", l.Node.Name, err)
		}
		rl := report.Layer{
			Name: l.Node.Name, Op: l.Node.OpType, Weight: l.Weight, Rows: l.Rows, Cols: l.Cols,
			BlockRows: part.BlockRows(), BlockCols: part.BlockCols(),
		}
		for _, order := range reorder.PlanAll(part) {
			st, err := reorder.Account(part, order, hw.Profile)
			if err != nil {
				return nil, nil, fmt.Errorf("layer %q, strategy %s: %w", l.Node.Name, order.Strategy, err)
			}
			s := order.Strategy
			rl.Writes.Set(s, st.Writes)
			rl.MaxCellWrites.Set(s, st.MaxCellWrites)
			rl.Energy.Set(s, st.Energy)
			rl.LatencyUS.Set(s, st.LatencyUS)
			if order.Strategy == reorder.Cell {
				rl.ColumnLowerBound = st.Writes
			}
			if order.Strategy == hw.Strategy {
				sched.Layers = append(sched.Layers, reorder.ScheduleLayer{Name: l.Node.Name, Weight: l.Weight, Levels: lv, Order: order})
			}
		}
		rep.Layers = append(rep.Layers, rl)
		m.SetInitializer(&onnxio.Tensor{Name: l.Weight, DataType: onnxio.Float, Dims: w.Dims, Float: l.FromMatrix(lv.Dequantized())})
	}
	rep.Sum()
	return rep, sched, nil
}
