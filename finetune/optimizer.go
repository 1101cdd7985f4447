package finetune

import (
	"fmt"
	"math"

	"github.com/elight-photonic/elight/quantize/parallel"
)

// optimizer updates parameters in place from their gradients.
type optimizer interface {
	step(params, grads [][]float32, lr float64)
	// copyTo copies the optimizer's state into dst, reusing its buffers
	// where dst is an optimizer of the same kind, and returns the copy.
	copyTo(dst optimizer) optimizer
}

// newOptimizer returns "sgd" (with momentum) or "adam". Weight decay is L2
// regularization for SGD and decoupled (AdamW) for Adam.
func newOptimizer(name string, momentum, weightDecay float64) (optimizer, error) {
	switch name {
	case "sgd":
		return &sgd{momentum: momentum, weightDecay: weightDecay}, nil
	case "adam":
		return &adam{beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: weightDecay}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (want sgd or adam)", name)
}

type sgd struct {
	momentum, weightDecay float64
	velocity              [][]float32
}

func (o *sgd) copyTo(dst optimizer) optimizer {
	c, ok := dst.(*sgd)
	if !ok {
		c = new(sgd)
	}
	velocity := c.velocity
	*c = *o
	c.velocity = copyRows(velocity, o.velocity)
	return c
}

// copyRows copies src into dst's buffers, growing them where they are too
// small, and returns the copy; a nil src gives nil.
func copyRows(dst, src [][]float32) [][]float32 {
	if src == nil {
		return nil
	}
	if len(dst) != len(src) {
		dst = make([][]float32, len(src))
	}
	for i, r := range src {
		dst[i] = append(dst[i][:0], r...)
	}
	return dst
}

func (o *sgd) step(params, grads [][]float32, lr float64) {
	if o.velocity == nil {
		o.velocity = make([][]float32, len(params))
		for i, p := range params {
			o.velocity[i] = make([]float32, len(p))
		}
	}
	mu, wd, eta := float32(o.momentum), float32(o.weightDecay), float32(lr)
	for i, p := range params {
		v, g := o.velocity[i], grads[i]
		// each weight's update is its own: any split gives the same bits
		parallel.Split(len(p), 1, minBlockWeights, func(_, lo, hi int) {
			for j := lo; j < hi; j++ {
				v[j] = mu*v[j] + g[j] + wd*p[j]
				p[j] -= eta * v[j]
			}
		})
	}
}

type adam struct {
	beta1, beta2, eps, weightDecay float64
	m, v                           [][]float32
	t                              int
}

func (o *adam) copyTo(dst optimizer) optimizer {
	c, ok := dst.(*adam)
	if !ok {
		c = new(adam)
	}
	m, v := c.m, c.v
	*c = *o
	c.m, c.v = copyRows(m, o.m), copyRows(v, o.v)
	return c
}

func (o *adam) step(params, grads [][]float32, lr float64) {
	if o.m == nil {
		o.m, o.v = make([][]float32, len(params)), make([][]float32, len(params))
		for i, p := range params {
			o.m[i], o.v[i] = make([]float32, len(p)), make([]float32, len(p))
		}
	}
	o.t++
	b1, b2 := float32(o.beta1), float32(o.beta2)
	c1 := 1 - math.Pow(o.beta1, float64(o.t))
	c2 := 1 - math.Pow(o.beta2, float64(o.t))
	c := &adamConstants{
		beta1: b1, oneMinusBeta1: 1 - b1, beta2: b2, oneMinusBeta2: 1 - b2,
		decay:    float32(1 - lr*o.weightDecay),
		stepSize: float32(lr * math.Sqrt(c2) / c1),
		eps:      float32(o.eps * math.Sqrt(c2)),
	}
	for i, p := range params {
		m, v, g := o.m[i], o.v[i], grads[i]
		// each weight's update is its own: any split gives the same bits
		parallel.Split(len(p), 1, minBlockWeights, func(_, lo, hi int) {
			adamUpdate(p[lo:hi], m[lo:hi], v[lo:hi], g[lo:hi], c)
		})
	}
}

// adamConstants are one Adam step's factors, in the order the vector code
// reads them.
type adamConstants struct {
	beta1, oneMinusBeta1, beta2, oneMinusBeta2 float32
	decay, stepSize, eps                       float32
}

// adamUpdate updates the weights p and their moments m and v from their
// gradient g; all four are of one length.
func adamUpdate(p, m, v, g []float32, c *adamConstants) {
	done := adamVector(p, m, v, g, c)
	adamScalar(p[done:], m[done:], v[done:], g[done:], c)
}

// adamScalar is adamUpdate one weight at a time: the definition the
// vector code must match bit for bit.
func adamScalar(p, m, v, g []float32, c *adamConstants) {
	// slices of one length, so that the loop needs no bounds checks
	m, v, g = m[:len(p)], v[:len(p)], g[:len(p)]
	for j := range p {
		m[j] = c.beta1*m[j] + c.oneMinusBeta1*g[j]
		v[j] = c.beta2*v[j] + c.oneMinusBeta2*g[j]*g[j]
		p[j] = p[j]*c.decay - c.stepSize*m[j]/(float32(math.Sqrt(float64(v[j])))+c.eps)
	}
}

// learningRate is the schedule at step (counted from 0): a linear rise to
// lr over the first warmup steps, then "constant", or "cosine" decay from
// lr to 0 over the rest of the run, and 0 after it.
func learningRate(schedule string, lr float64, step, steps, warmup int) (float64, error) {
	if warmup < 0 || warmup >= steps {
		return 0, fmt.Errorf("learning-rate warmup of %d steps: want 0 to %d, fewer than the run's steps", warmup, steps-1)
	}
	if step < warmup {
		return lr * float64(step+1) / float64(warmup), nil
	}
	switch schedule {
	case "constant":
		return lr, nil
	case "cosine":
		step, steps = step-warmup, steps-warmup
		return lr * 0.5 * (1 + math.Cos(math.Pi*float64(min(step, steps))/float64(steps))), nil
	}
	return 0, fmt.Errorf("unknown learning-rate schedule %q (want cosine or constant)", schedule)
}
