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
// levels, the core size, the programming order the schedule uses, the
// device profile that prices writes and, when not 0, the chip's number of
// physical cores.
type Hardware struct {
	Quant    quantize.Config
	Block    int // core size K
	Strategy reorder.Strategy
	Profile  reorder.Profile
	// Cores, when above 0, lays the whole model out on a chip of that
	// many physical cores (reorder.PlanChip); the report's Chip section
	// and the schedule's chip plan record it.
	Cores int
}

// QuantizeLayers quantizes every photonic layer of m in place (m's
// weights become the dequantized levels, written over the pretrained
// ones), accounts every strategy, and returns the report and the schedule
// of hw.Strategy. With hw.Cores it also lays the model out on the chip and
// the schedule holds the levelled plan.
func QuantizeLayers(ctx context.Context, m *onnxio.Model, hw Hardware) (*report.Report, *reorder.Schedule, error) {
	layers := m.Graph.PhotonicLayers()
	if len(layers) == 0 {
		return nil, nil, fmt.Errorf("no Conv, Gemm or MatMul layer with a constant weight: nothing maps onto photonic cores")
	}
	rep := &report.Report{
		FormatVersion: report.FormatVersion,
		Config: report.Config{
			Bits: hw.Quant.Bits, Block: hw.Block, PCMLoss: hw.Quant.PCMLoss, Scale: "tensor", ScaleHeadroom: hw.Quant.ScaleFactor(),
			Device: report.Device(hw.Profile), Cores: hw.Cores,
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
	// The chip needs every layer's blocks and orders at once.
	var chip []reorder.Inference
	if hw.Cores > 0 {
		chip = make([]reorder.Inference, len(reorder.Strategies()))
	}
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
		groups := 0 // omitted unless grouped
		if l.Groups > 1 {
			groups = l.Groups
		}
		rl.Groups = groups
		// One order at a time: only the schedule's (and, for a chip,
		// every order) outlives its accounting.
		si := 0
		err = reorder.PlanEach(part, func(order *reorder.Order) (keep bool, err error) {
			defer func() { si++ }()
			st, err := reorder.Account(part, order, hw.Profile)
			if err != nil {
				return false, fmt.Errorf("layer %q, strategy %s: %w", l.Node.Name, order.Strategy, err)
			}
			rl.Figures.Set(order.Strategy, st, hw.Profile.Endurance)
			if chip != nil {
				chip[si].Layers = append(chip[si].Layers, part)
				chip[si].Orders = append(chip[si].Orders, order)
				keep = true
			}
			if order.Strategy == reorder.Cell {
				rl.ColumnLowerBound = st.Writes
			}
			if order.Strategy == hw.Strategy {
				sched.Layers = append(sched.Layers, reorder.ScheduleLayer{Name: l.Node.Name, Weight: l.Weight, Groups: groups, Levels: lv, Order: order})
				keep = true
			}
			return keep, nil
		})
		if err != nil {
			return nil, nil, err
		}
		rep.Layers = append(rep.Layers, rl)
		// The weights become their dequantized levels in place: the
		// pretrained ones are not needed again, and a second copy of a
		// model's largest tensors would double its memory.
		if l.Transposed {
			w.Float = l.FromMatrix(lv.Dequantized())
		} else {
			lv.DequantizeTo(w.Float)
		}
		m.SetInitializer(w)
	}
	rep.Sum()
	if chip != nil {
		if err := layOutChip(ctx, rep, sched, chip, hw); err != nil {
			return nil, nil, err
		}
	}
	return rep, sched, nil
}

// layOutChip plans the chip of hw.Cores cores for every strategy's
// inference, records both plans' figures in the report and puts the
// levelled plan of hw.Strategy in the schedule.
func layOutChip(ctx context.Context, rep *report.Report, sched *reorder.Schedule, chip []reorder.Inference, hw Hardware) error {
	rc := &report.Chip{Cores: hw.Cores}
	for si, s := range reorder.Strategies() {
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		r, err := reorder.PlanChip(chip[si], hw.Cores, hw.Profile)
		if err != nil {
			return fmt.Errorf("chip of %d cores, strategy %s: %w", hw.Cores, s, err)
		}
		rc.Naive.Set(s, r.Naive.Stats, hw.Profile.Endurance)
		rc.Levelled.Set(s, r.Levelled.Stats, hw.Profile.Endurance)
		if r.FellBack {
			rc.FellBack = append(rc.FellBack, s)
		}
		if s == hw.Strategy {
			sched.Chip = &r.LevelledPlan
			kk := r.Levelled.K * r.Levelled.K
			for c := range hw.Cores {
				rc.CellWrites = append(rc.CellWrites, r.Levelled.CellWrites[c*kk:(c+1)*kk])
			}
		}
	}
	rep.Chip = rc
	return nil
}
