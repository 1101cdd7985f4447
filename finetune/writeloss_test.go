package finetune

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/reorder"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestWriteLossGradient checks the write-aware loss's gradient against
// central finite differences of its continuous form (levels not rounded,
// references held still as the training detaches them), for every
// reference, norm and weight layout.
func TestWriteLossGradient(t *testing.T) {
	layouts := []onnxio.Layer{
		{Rows: 5, Cols: 7},                   // Conv / Gemm with transB=1: stored [Rows, Cols]
		{Rows: 5, Cols: 7, Transposed: true}, // MatMul: stored [Cols, Rows]
	}
	forEachWriteLossCase(layouts, func(name string, layout onnxio.Layer, ref Reference, norm Norm, cfg quantize.Config) {
		t.Run(name, func(t *testing.T) { checkWriteLossGradient(t, layout, ref, norm, cfg) })
	})
}

// forEachWriteLossCase calls f for every reference, norm, scale and
// headroom on each layout, with a name that tells them apart.
func forEachWriteLossCase(layouts []onnxio.Layer, f func(name string, layout onnxio.Layer, ref Reference, norm Norm, cfg quantize.Config)) {
	for _, layout := range layouts {
		for _, ref := range []Reference{MeanRow, MeanAll, Neighbor} {
			for _, norm := range []Norm{L1, L2, Cell} {
				if norm == Cell && ref != MeanRow {
					continue // the cell loss has no reference block
				}
				for _, perRow := range []bool{false, true} {
					for _, headroom := range []float64{0, 2.5} {
						cfg := quantize.Config{Bits: 4, PCMLoss: 0.128, PerRow: perRow, Headroom: headroom}
						f(fmt.Sprintf("%s/%s/transposed=%v/perRow=%v/headroom=%v", ref, norm, layout.Transposed, perRow, headroom), layout, ref, norm, cfg)
					}
				}
			}
		}
	}
}

func checkWriteLossGradient(t *testing.T, layout onnxio.Layer, ref Reference, norm Norm, cfg quantize.Config) {
	wl, err := NewWriteLoss(layout, cfg, 3, ref, norm)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	w := make([]float32, layout.Rows*layout.Cols)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	fixed := heldReferences(wl, w)
	grad := make([]float32, len(w))
	wl.evaluate(w, &rounded{}, nil, grad, 1, gradCheck{continuous: true, fixed: fixed})
	loss := func(w []float32) float64 {
		return wl.evaluate(w, &rounded{}, nil, make([]float32, len(w)), 1, gradCheck{continuous: true, fixed: fixed})
	}
	nonzero := 0 // weights whose loss moves: a check of zeros against zeros proves nothing
	for i := range w {
		// every weight, the ones that set alpha included
		const h = 1e-3
		plus, minus := append([]float32(nil), w...), append([]float32(nil), w...)
		plus[i] += h
		minus[i] -= h
		numeric := (loss(plus) - loss(minus)) / float64(plus[i]-minus[i])
		if diff := math.Abs(float64(grad[i]) - numeric); diff > 1e-3*math.Max(math.Abs(numeric), 1e-3) {
			t.Errorf("weight %d: gradient %.6g, finite difference %.6g", i, grad[i], numeric)
		}
		if math.Abs(numeric) > 1e-6 {
			nonzero++
		}
	}
	if nonzero < len(w)/2 {
		t.Fatalf("the loss moves with only %d of %d weights; the check needs weights it depends on", nonzero, len(w))
	}
}

// heldReferences returns the references training would compute from the
// continuous levels of w, in matrix layout, for the check to hold still.
func heldReferences(wl *WriteLoss, w []float32) [2][]float64 {
	rows, cols := wl.layer.Rows, wl.layer.Cols
	lv := wl.round(w)
	if wl.Ref == MeanAll && wl.Norm != Cell {
		wl.sumMeanAll(w, lv, true)
	}
	wl.ensureRowScratch(1)
	s := &wl.scratch.rows[0]
	var fixed [2][]float64
	for side := range wl.sides() {
		fixed[side] = make([]float64, rows*cols)
	}
	for r := range rows {
		wl.rowLevels(s, w, lv, r, true)
		refs := wl.rowReference(s, r, wl.rowSides(s), [2][]float64{})
		for side := range wl.sides() {
			copy(fixed[side][r*cols:], refs[side])
		}
	}
	return fixed
}

// TestWriteLossIsZeroForEqualBlocks: blocks identical to their reference
// cost nothing.
func TestWriteLossIsZeroForEqualBlocks(t *testing.T) {
	layout := onnxio.Layer{Rows: 2, Cols: 6}
	w := []float32{0.5, -0.25, 1, 0.5, -0.25, 1, 0.1, 0.2, -0.3, 0.1, 0.2, -0.3}
	for _, ref := range []Reference{MeanRow, Neighbor} {
		wl, err := NewWriteLoss(layout, quantize.Config{Bits: 4, PCMLoss: 0.128}, 3, ref, L1)
		if err != nil {
			t.Fatal(err)
		}
		loss, _ := wl.Eval(w)
		if ref == MeanRow && loss != 0 {
			t.Errorf("%s: loss %g for a row of equal blocks, want 0", ref, loss)
		}
		if ref == Neighbor && loss == 0 {
			t.Errorf("%s: loss 0, but the first block differs from the cleared state", ref)
		}
	}
}

// TestStraightThroughGradientIsExact differentiates sum(v * q(w)) through
// the quantizer op: the gradient must be v exactly.
func TestStraightThroughGradientIsExact(t *testing.T) {
	g := G.NewGraph()
	wData := []float32{0.3, -0.7, 0.05, 1.2, -0.01, 0.6}
	vData := []float32{1.5, -2, 0.25, 3, -0.5, 7}
	w := G.NewTensor(g, tensor.Float32, 2, G.WithShape(2, 3), G.WithName("w"), G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(wData))))
	v := G.NewTensor(g, tensor.Float32, 2, G.WithShape(2, 3), G.WithName("v"), G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(vData))))
	ll := layerLevels{layer: onnxio.Layer{Rows: 2, Cols: 3}, q: mustQuantizer(t, quantize.Config{Bits: 3, PCMLoss: 0.128})}
	q, err := applySTE(w, ll.dequantize)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := G.HadamardProd(q, v)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(cost, w); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(w))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gv, err := w.Grad()
	if err != nil {
		t.Fatal(err)
	}
	got := gv.Data().([]float32)
	for i := range got {
		if got[i] != vData[i] {
			t.Errorf("gradient %d: %v, want %v exactly", i, got[i], vData[i])
		}
	}
	// and the forward value is the dequantized level
	qv := q.Value().Data().([]float32)
	want := ll.dequantize(wData)
	for i := range qv {
		if qv[i] != want[i] {
			t.Errorf("q(w)[%d] = %v, want %v", i, qv[i], want[i])
		}
	}
}

func mustQuantizer(t *testing.T, c quantize.Config) *quantize.Quantizer {
	t.Helper()
	q, err := quantize.NewQuantizer(c)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestCellLossBracketsCellWrites: the cell loss on rounded levels, scaled
// back to writes, lies between the cell order's writes counted by the
// reorder package and q^(1/8) times them (a p-norm over q blocks exceeds
// the maximum by at most that factor); the exact count Eval records is
// the reorder package's.
func TestCellLossBracketsCellWrites(t *testing.T) {
	const rows, cols, k = 70, 200, 64
	cfg := quantize.Config{Bits: 4, PCMLoss: 0.128}
	layout := onnxio.Layer{Rows: rows, Cols: cols}
	rng := rand.New(rand.NewSource(3))
	w := make([]float32, rows*cols)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	wl, err := NewWriteLoss(layout, cfg, k, MeanRow, Cell)
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := wl.Eval(w)
	soft := loss * float64(rows*k) * float64(cfg.MaxLevel())

	lv, err := quantize.Quantize(w, rows, cols, cfg)
	if err != nil {
		t.Fatal(err)
	}
	part, err := reorder.Partition(lv, k)
	if err != nil {
		t.Fatal(err)
	}
	exact := float64(reorder.LowerBound(part))
	if float64(wl.Writes) != exact {
		t.Errorf("WriteLoss.Writes = %d, reorder.LowerBound = %.0f", wl.Writes, exact)
	}
	q := float64((cols + k - 1) / k)
	if soft < exact-1e-6 || soft > math.Pow(q, 1.0/softMaxPower)*exact+1e-6 {
		t.Errorf("cell loss %.1f writes, want between %.0f and %.1f", soft, exact, math.Pow(q, 1.0/softMaxPower)*exact)
	}
}

// TestLevelsSurviveNormalization: the write count takes the integer
// levels where it once rounded the normalized ones back, round(c/(L-1) *
// (L-1)); the two agree for every level of every bit width.
func TestLevelsSurviveNormalization(t *testing.T) {
	for bits := 1; bits <= quantize.MaxBits; bits++ {
		max := float64(quantize.Config{Bits: bits}.MaxLevel())
		for l := -int(max); l <= int(max); l++ {
			if got := int64(math.Round(float64(l) / max * max)); got != int64(l) {
				t.Errorf("bits %d: level %d comes back as %d", bits, l, got)
			}
		}
	}
}

// TestLossOpScalesItsGradient: a loss op's gradient is the saved one
// times the upstream gradient, also where that is not 1 (the training
// graph hands the saved gradient on as it is), and on every run.
func TestLossOpScalesItsGradient(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 1, G.WithShape(3), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{1, 2, 3}))))
	saved := []float32{0.5, -0.25, 3}
	loss, err := applyLoss("L", x, func([]float32) (float64, []float32, error) { return 1, saved, nil })
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Mul(loss, G.NewConstant(float32(3)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(cost, x); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(x))
	defer vm.Close()
	for run := range 2 {
		if run > 0 {
			// gorgonia adds each run's gradient to the bound one
			dv, err := x.Grad()
			if err != nil {
				t.Fatal(err)
			}
			clear(dv.Data().([]float32))
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		gv, err := x.Grad()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range gv.Data().([]float32) {
			if want := 3 * saved[i]; v != want {
				t.Errorf("run %d: gradient %d is %v, want %v", run, i, v, want)
			}
		}
	}
	if saved[0] != 0.5 || saved[1] != -0.25 || saved[2] != 3 {
		t.Errorf("the op changed the saved gradient: %v", saved)
	}
}

// TestPositiveIsMathMax: positive(c) is math.Max(c, 0) bit for bit.
func TestPositiveIsMathMax(t *testing.T) {
	values := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(), -math.NaN(),
		math.Float64frombits(0x7FF0000000000002), math.Float64frombits(0xFFF8000000000003),
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64}
	rng := rand.New(rand.NewSource(5))
	for range 1000 {
		values = append(values, rng.NormFloat64(), math.Float64frombits(rng.Uint64()))
	}
	for _, c := range values {
		if got, want := math.Float64bits(positive(c)), math.Float64bits(math.Max(c, 0)); got != want {
			t.Errorf("positive(%v) has bits %#x, math.Max %#x", c, got, want)
		}
	}
}

// round quantizes w (initializer layout), as a training step does.
func (ll *layerLevels) round(w []float32) *rounded {
	r := &rounded{}
	ll.findScales(r, w)
	ll.roundRows(r, w, nil)
	return r
}

// dequantize is the forward pass of the quantizer: q(w) for every weight.
func (ll *layerLevels) dequantize(w []float32) []float32 {
	deq := make([]float32, len(w))
	r := &rounded{}
	ll.findScales(r, w)
	ll.roundRows(r, w, deq)
	return deq
}
