package finetune

import (
	"fmt"
	"math"
)

// taskLoss is the loss on the network's logits [N, classes]: cross-entropy
// against labels, or, for users without labels, distillation from the float
// model's logits at a temperature T (Hinton et al.: T^2 times the
// cross-entropy between the softened distributions). It holds the current
// batch's target distributions, which the trainer refreshes every step.
type taskLoss struct {
	classes     int
	temperature float64
	targets     []float64 // [N, classes], rows summing to 1
	correct     int       // top-1 hits of the latest batch against its labels
	labels      []int64
}

// setLabels makes one-hot targets from labels.
func (tl *taskLoss) setLabels(labels []int64) error {
	tl.labels = labels
	for i := range tl.targets {
		tl.targets[i] = 0
	}
	for n, y := range labels {
		if y < 0 || int(y) >= tl.classes {
			return fmt.Errorf("label %d of sample %d is outside the model's %d classes", y, n, tl.classes)
		}
		tl.targets[n*tl.classes+int(y)] = 1
	}
	return nil
}

// setTeacher makes soft targets from the float model's logits.
func (tl *taskLoss) setTeacher(logits []float32) {
	tl.labels = nil
	n := len(logits) / tl.classes
	for i := 0; i < n; i++ {
		softmaxRow(tl.targets[i*tl.classes:(i+1)*tl.classes], logits[i*tl.classes:(i+1)*tl.classes], tl.temperature)
	}
}

// eval returns the loss and its gradient with respect to the logits.
func (tl *taskLoss) eval(logits []float32) (float64, []float32, error) {
	c := tl.classes
	n := len(logits) / c
	if n*c != len(logits) || len(tl.targets) != len(logits) {
		return 0, nil, fmt.Errorf("%d logits for %d classes and %d targets", len(logits), c, len(tl.targets))
	}
	t := tl.temperature
	probs := make([]float64, c)
	grad := make([]float32, len(logits))
	var loss float64
	tl.correct = 0
	for i := 0; i < n; i++ {
		row := logits[i*c : (i+1)*c]
		logZ := softmaxRow(probs, row, t)
		best := 0
		for k := range row {
			p := tl.targets[i*c+k]
			if p > 0 {
				loss -= p * (float64(row[k])/t - logZ)
			}
			grad[i*c+k] = float32(t * (probs[k] - p) / float64(n))
			if row[k] > row[best] {
				best = k
			}
		}
		if tl.labels != nil && int64(best) == tl.labels[i] {
			tl.correct++
		}
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, nil, fmt.Errorf("the loss is %v: training diverged; lower the learning rate", loss)
	}
	return t * t * loss / float64(n), grad, nil
}

// softmaxRow writes softmax(z/t) to out and returns log of its normalizer.
func softmaxRow(out []float64, z []float32, t float64) float64 {
	peak := math.Inf(-1)
	for _, v := range z {
		peak = math.Max(peak, float64(v)/t)
	}
	var sum float64
	for k, v := range z {
		out[k] = math.Exp(float64(v)/t - peak)
		sum += out[k]
	}
	for k := range out {
		out[k] /= sum
	}
	return peak + math.Log(sum)
}
