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

// mark copies the trainer's parameters and its optimizer's state: Load
// of it resumes training exactly where mark was called.
func (tr *Trainer) mark() (*State, error) {
	s, err := tr.Save()
	if err != nil {
		return nil, err
	}
	s.opt = tr.opt.clone()
	return s, nil
}

// Save copies the trainer's current parameters.
func (tr *Trainer) Save() (*State, error) {
	s := &State{}
	for i, p := range tr.params {
		v, err := network.Float32s(p.Value())
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", tr.names[i], err)
		}
		s.values = append(s.values, append([]float32(nil), v...))
	}
	return s, nil
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
		tr.opt = s.opt.clone()
	}
	for _, wl := range tr.losses {
		wl.weightsChanged()
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
