// Package finetune fine-tunes an imported model for photonic cores: the
// gorgonia network of finetune/network, trained with the PCM quantizer in
// the forward pass (its gradient passes straight through) and ELight's
// write-aware loss, which pulls blocks programmed one after another onto
// the same core toward each other so that reprogramming needs fewer writes.
package finetune

import (
	"context"
	"errors"
	"fmt"

	"github.com/elight-photonic/elight/finetune/network"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
	"github.com/elight-photonic/elight/quantize/parallel"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Config is a fine-tuning run.
type Config struct {
	Quant quantize.Config
	Block int

	// Lambda weighs the write-aware loss against the task loss; 0 trains
	// for accuracy alone (quantization-aware training).
	Lambda float64
	Ref    Reference
	Norm   Norm

	Optimizer string  // sgd or adam
	LR        float64 // peak learning rate
	// SegmentLR is the peak learning rate of each segment of
	// TrainSchedule, where a search lowered it; segments past its end, and
	// every other run, take LR.
	SegmentLR   []float64
	Schedule    string  // cosine or constant
	Warmup      int     // steps of linear rise to LR before the schedule
	Momentum    float64 // for sgd
	WeightDecay float64

	Steps     int
	BatchSize int
	// Temperature softens the float model's logits when the data has no
	// labels and the run distills from it instead.
	Temperature float64
}

// Batches is the training data: an endless stream of preprocessed batches
// in a fixed (seeded) order.
type Batches interface {
	// Next fills x, [batch, C, H, W] row-major, with the next batch and
	// returns its labels, or nil for data without labels.
	Next(x []float32) (labels []int64, err error)
}

// Seekable is Batches that can serve again from an earlier point. The
// search needs it: when it drops a diverged segment it goes back to where
// the segment started, in the data as in the weights, so that the replay
// of its lineage trains on the same batches.
type Seekable interface {
	Batches
	// Pos returns the position of the next batch.
	Pos() int
	// Seek makes the next batch the one Pos returned pos for.
	Seek(pos int) error
}

// Progress is reported after every step.
type Progress struct {
	Step, Steps int
	LR          float64
	TaskLoss    float64
	WriteLoss   float64 // unweighted sum over layers
	CellWrites  int64   // the cell order's writes for the weights the step started from
	Accuracy    float64 // top-1 on the batch; -1 without labels
}

// ErrInterrupted is returned when the context ends a run early.
var ErrInterrupted = errors.New("interrupted")

// Train fine-tunes the photonic layers of m, whose BatchNorms must already
// be folded, for cfg.Steps steps and stores the trained float weights back
// into m. report, if not nil, is called after every step.
func Train(ctx context.Context, m *onnxio.Model, data Batches, cfg Config, report func(Progress)) error {
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		return err
	}
	defer tr.Close()
	x := make([]float32, tr.InputSize())
	for step := 0; step < cfg.Steps; step++ {
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		labels, err := data.Next(x)
		if err != nil {
			return fmt.Errorf("training data: %w", err)
		}
		p, err := tr.Step(x, labels)
		if err != nil {
			return fmt.Errorf("step %d: %w", step+1, err)
		}
		if report != nil {
			report(p)
		}
	}
	tr.handOver(m)
	return nil
}

// Trainer is the training graph of one model and its optimizer state. It
// lets a caller drive the steps itself, for instance to measure the
// quantized model between them; Train is the plain loop.
type Trainer struct {
	cfg    Config
	input  *G.Node
	params []*G.Node
	names  []string
	// gradNodes holds each parameter's gradient, in params' order.
	gradNodes []*G.Node
	task      *taskLoss
	taskOut   *G.Node
	// losses are the photonic layers' write-aware losses and lossParam
	// the index in params of each one's weight. They are no part of the
	// graph: a loss's gradient is added to its weight's after the graph
	// ran, where gorgonia would add them in two more single-threaded
	// passes over the weights.
	losses    []*WriteLoss
	lossParam []int
	// writeLoss holds each photonic layer's write-aware loss, unweighted,
	// of the latest step.
	writeLoss []float64
	lambda    float64
	vm        G.VM
	opt       optimizer
	// teacher is the float model, for distillation, built by the first
	// step without labels from float, the model's weights as NewTrainer
	// found them: a run with labels never builds it, and its copy of
	// the weights (45 MB for a ResNet-18) is not held.
	teacher *network.Net
	float   *onnxio.Model
	inputs  map[string]*onnxio.Tensor // the shapes the nets are built for
	grads   [][]float32
	values  [][]float32
	steps   int // taken so far
}

// NewTrainer builds the training graph of m, whose BatchNorms must already
// be folded. cfg.Steps sets the length of the learning-rate schedule.
func NewTrainer(m *onnxio.Model, cfg Config) (*Trainer, error) {
	if len(m.Graph.Inputs) != 1 {
		return nil, fmt.Errorf("%s: fine-tuning needs a model with one input, it has %d", m.Path, len(m.Graph.Inputs))
	}
	if cfg.Steps < 1 || cfg.BatchSize < 1 {
		return nil, fmt.Errorf("fine-tuning needs at least one step of at least one sample")
	}
	opt, err := newOptimizer(cfg.Optimizer, cfg.Momentum, cfg.WeightDecay)
	if err != nil {
		return nil, err
	}
	if _, err := learningRate(cfg.Schedule, cfg.LR, 0, cfg.Steps, cfg.Warmup); err != nil {
		return nil, err
	}
	if err := cfg.Quant.Validate(); err != nil {
		return nil, err
	}
	in := m.Graph.Inputs[0]
	shape := []int64{int64(cfg.BatchSize)}
	for _, d := range in.Shape[1:] {
		if d.Value <= 0 {
			return nil, fmt.Errorf("%s: input %q has no fixed size for dimension %q; elight needs the image shape", m.Path, in.Name, d.Param)
		}
		shape = append(shape, d.Value)
	}
	inputs := map[string]*onnxio.Tensor{in.Name: {DataType: onnxio.Float, Dims: shape}}

	// Each photonic layer's quantizer and write-aware loss share one
	// quantization of the layer's weights per step.
	losses := map[string]*WriteLoss{}
	byNode := map[*onnxio.Node]*WriteLoss{}
	for _, l := range m.Graph.PhotonicLayers() {
		wl, err := NewWriteLoss(l, cfg.Quant, cfg.Block, cfg.Ref, cfg.Norm)
		if err != nil {
			return nil, err
		}
		losses[l.Weight], byNode[l.Node] = wl, wl
	}
	quantizeWeight := func(n *onnxio.Node, w *G.Node) (*G.Node, error) {
		return applySTE(w, byNode[n].stepDequantize)
	}
	net, err := network.Build(m, inputs, network.Options{Weight: quantizeWeight})
	if err != nil {
		return nil, err
	}
	tr := &Trainer{cfg: cfg, input: net.Inputs[0], params: net.Params, names: net.ParamNames, opt: opt}
	logits := net.Outputs[0]
	if logits == nil || logits.Shape().Dims() != 2 {
		return nil, fmt.Errorf("%s: fine-tuning needs logits [batch, classes] as the first output", m.Path)
	}
	tr.task = &taskLoss{classes: logits.Shape()[1], temperature: 1, targets: make([]float64, logits.Shape().TotalSize())}
	if tr.taskOut, err = applyLoss("TaskLoss", logits, tr.task.eval); err != nil {
		return nil, err
	}
	paramIndex := map[string]int{}
	for i, name := range net.ParamNames {
		paramIndex[name] = i
	}
	// The write losses are weighted by lambda, which the trainer hands
	// them at every step so that SetLambda can change it.
	tr.lambda = cfg.Lambda
	for _, l := range m.Graph.PhotonicLayers() {
		at, ok := paramIndex[l.Weight]
		if !ok {
			return nil, fmt.Errorf("%s: photonic layer %s: its weight %q is no parameter of the network", m.Path, l.Node.Name, l.Weight)
		}
		tr.losses = append(tr.losses, losses[l.Weight])
		tr.lossParam = append(tr.lossParam, at)
		tr.writeLoss = append(tr.writeLoss, 0)
	}
	if tr.gradNodes, err = G.Grad(tr.taskOut, tr.params...); err != nil {
		return nil, fmt.Errorf("%s: differentiating the network: %w", m.Path, err)
	}
	// After a step only the task loss and the gradients are read, and
	// nothing in the graph reads them: ShareBuffers keeps their buffers.
	network.ShareBuffers(net.Graph)
	// The gradients are read from their nodes after each pass (nothing in
	// the graph reads them, so their values stay valid: see ShareBuffers).
	// Dual values would have gorgonia add each one into a buffer of its
	// own, a single-threaded pass over the weights that must be cleared
	// before every step.
	tr.vm = G.NewTapeMachine(net.Graph)
	tr.float, tr.inputs = floatCopy(m), inputs
	tr.task.temperature = max(cfg.Temperature, 1e-3)
	return tr, nil
}

// InputSize is the length of the batch slice Step takes: batch x C x H x W.
func (tr *Trainer) InputSize() int { return tr.input.Shape().TotalSize() }

// Close releases the graph's machine.
func (tr *Trainer) Close() error { return tr.vm.Close() }

// Step runs one forward and backward pass on the batch x, [batch, C, H, W]
// row-major, and updates the parameters. labels may be nil: the step then
// distills from the float model's logits. Steps past cfg.Steps take the
// schedule's last learning rate (0 for cosine).
func (tr *Trainer) Step(x []float32, labels []int64) (Progress, error) {
	step := tr.steps
	batch := tensor.New(tensor.WithShape(tr.input.Shape().Clone()...), tensor.WithBacking(x))
	if labels != nil {
		tr.task.temperature = 1
		if err := tr.task.setLabels(labels); err != nil {
			return Progress{}, err
		}
	} else {
		if tr.teacher == nil {
			var err error
			if tr.teacher, err = network.Build(tr.float, tr.inputs, network.Options{FixedWeights: true}); err != nil {
				return Progress{}, fmt.Errorf("float model: %w", err)
			}
		}
		outs, err := tr.teacher.Run(map[string]*onnxio.Tensor{tr.teacher.InputNames[0]: {
			DataType: onnxio.Float, Dims: intDims(tr.input.Shape()), Float: x,
		}})
		if err != nil {
			return Progress{}, fmt.Errorf("float model: %w", err)
		}
		tr.task.temperature = max(tr.cfg.Temperature, 1e-3)
		tr.task.setTeacher(outs[0].Float)
	}
	if err := G.Let(tr.input, batch); err != nil {
		return Progress{}, err
	}
	for _, wl := range tr.losses {
		wl.startStep(float32(tr.lambda))
	}
	tr.vm.Reset()
	if err := tr.vm.RunAll(); err != nil {
		return Progress{}, err
	}
	if err := tr.collect(); err != nil {
		return Progress{}, err
	}
	tr.addWriteLosses()
	lr, _ := learningRate(tr.cfg.Schedule, tr.cfg.LR, step, tr.cfg.Steps, tr.cfg.Warmup)
	tr.opt.step(tr.values, tr.grads, lr)
	tr.steps++

	p := Progress{Step: step + 1, Steps: tr.cfg.Steps, LR: lr, TaskLoss: scalar(tr.taskOut), Accuracy: -1}
	for _, d := range tr.writeLoss {
		p.WriteLoss += d
	}
	for _, wl := range tr.losses {
		p.CellWrites += wl.Writes
	}
	if labels != nil {
		p.Accuracy = float64(tr.task.correct) / float64(len(labels))
	}
	return p, nil
}

// addWriteLosses adds each write-aware loss's gradient, lambda times the
// loss's own, to its weight's: the step's quantization computed them
// when the graph's forward pass quantized the weights.
func (tr *Trainer) addWriteLosses() {
	for i, wl := range tr.losses {
		w, g := tr.values[tr.lossParam[i]], tr.grads[tr.lossParam[i]]
		loss, lossGrad := wl.stepEval(w)
		tr.writeLoss[i] = loss
		// each weight's sum is its own: any split gives the same bits
		parallel.Split(len(g), 1, minBlockWeights, func(_, lo, hi int) {
			g, lossGrad := g[lo:hi], lossGrad[lo:hi]
			lossGrad = lossGrad[:len(g)]
			for j := range g {
				g[j] += lossGrad[j]
			}
		})
	}
}

// collect gathers each parameter's value and gradient slices; gorgonia may
// hand out new gradient tensors on every run, so they are looked up anew.
func (tr *Trainer) collect() error {
	tr.values, tr.grads = tr.values[:0], tr.grads[:0]
	for i, p := range tr.params {
		v, err := network.Float32s(p.Value())
		if err != nil {
			return fmt.Errorf("parameter %q: %w", tr.names[i], err)
		}
		g, err := network.Float32s(tr.gradNodes[i].Value())
		if err != nil {
			return fmt.Errorf("gradient of %q: %w", tr.names[i], err)
		}
		tr.values, tr.grads = append(tr.values, v), append(tr.grads, g)
	}
	return nil
}

// Store writes the current parameters into m's initializers; m must be
// the model the trainer was built from, or a copy of it.
func (tr *Trainer) Store(m *onnxio.Model) { tr.store(m, true) }

// handOver stores the parameters into m as Store does, but gives m the
// trainer's own buffers rather than copies: the end of a run, after which
// the trainer is not used again. Store's copies would be allocated while
// every buffer of the last step is still held, the run's peak.
func (tr *Trainer) handOver(m *onnxio.Model) {
	tr.store(m, false)
	tr.params, tr.values = nil, nil
}

func (tr *Trainer) store(m *onnxio.Model, copied bool) {
	for i, p := range tr.params {
		old := m.Graph.Initializers[tr.names[i]]
		v, _ := network.Float32s(p.Value())
		if copied {
			v = append([]float32(nil), v...)
		}
		m.SetInitializer(&onnxio.Tensor{Name: old.Name, DataType: onnxio.Float, Dims: old.Dims, Float: v})
	}
}

func scalar(n *G.Node) float64 {
	if v, ok := n.Value().(*G.F32); ok {
		return float64(*v)
	}
	return 0
}

func intDims(s tensor.Shape) []int64 {
	d := make([]int64, len(s))
	for i, v := range s {
		d[i] = int64(v)
	}
	return d
}
