package finetune

import (
	"fmt"

	"github.com/elight-photonic/elight/finetune/network"
)

// State is a copy of a trainer's parameters, taken by Save and put back by
// Load: the search keeps the best checkpoint it has met this way and puts
// it back at the end. The optimizer's moments are not part of it, so
// training does not go on from such a state; a state taken by mark, which
// the search rewinds a diverged segment to, holds them too.
type State struct {
	values [][]float32
	opt    optimizer // nil but from mark
}

// mark copies the trainer's parameters and its optimizer's state into s,
// reusing its buffers (a nil s is allocated), so that Load of it resumes
// training exactly where mark was called. The search marks the start of
// every segment; reusing one state keeps that from allocating three
// times the weights each time.
func (tr *Trainer) mark(s *State) (*State, error) {
	if s == nil {
		s = &State{}
	}
	if err := tr.saveInto(s); err != nil {
		return nil, err
	}
	s.opt = tr.opt.copyTo(s.opt)
	return s, nil
}

// Save copies the trainer's current parameters.
func (tr *Trainer) Save() (*State, error) {
	s := &State{}
	if err := tr.saveInto(s); err != nil {
		return nil, err
	}
	return s, nil
}

// saveInto copies the trainer's parameters into s's buffers.
func (tr *Trainer) saveInto(s *State) error {
	if len(s.values) != len(tr.params) {
		s.values = make([][]float32, len(tr.params))
	}
	for i, p := range tr.params {
		v, err := network.Float32s(p.Value())
		if err != nil {
			return fmt.Errorf("parameter %q: %w", tr.names[i], err)
		}
		s.values[i] = append(s.values[i][:0], v...)
	}
	return nil
}

// Load puts back a state Save took from this trainer.
func (tr *Trainer) Load(s *State) error {
	if len(s.values) != len(tr.params) {
		return fmt.Errorf("state of %d parameters, the trainer has %d", len(s.values), len(tr.params))
	}
	for i, p := range tr.params {
		v, err := network.Float32s(p.Value())
		if err != nil {
			return fmt.Errorf("parameter %q: %w", tr.names[i], err)
		}
		copy(v, s.values[i])
	}
	if s.opt != nil {
		tr.opt = s.opt.copyTo(tr.opt)
	}
	return nil
}

// SetLambda sets the weight of the write-aware loss from the next step on.
func (tr *Trainer) SetLambda(lambda float64) { tr.lambda = lambda }

// Restart begins a new learning-rate cycle of steps steps, the first
// warmup of them rising linearly to the peak learning rate (a warm
// restart); the optimizer keeps its moments.
func (tr *Trainer) Restart(steps, warmup int) error {
	if _, err := learningRate(tr.cfg.Schedule, tr.cfg.LR, 0, steps, warmup); err != nil {
		return err
	}
	tr.cfg.Steps, tr.cfg.Warmup, tr.steps = steps, warmup, 0
	return nil
}
