package finetune

import (
	"math"
	"testing"
)

func TestLearningRate(t *testing.T) {
	for _, c := range []struct {
		schedule            string
		step, steps, warmup int
		want                float64
	}{
		{"constant", 0, 10, 0, 0.1},
		{"constant", 25, 10, 0, 0.1},
		{"cosine", 0, 10, 0, 0.1},
		{"cosine", 5, 10, 0, 0.05},
		{"cosine", 10, 10, 0, 0},
		// past the run the schedule stays at its end instead of rising again
		{"cosine", 15, 10, 0, 0},
		// warmup: steps 0..3 at 1/4..4/4 of lr, then cosine over the last 6
		{"cosine", 0, 10, 4, 0.025},
		{"cosine", 2, 10, 4, 0.075},
		{"cosine", 3, 10, 4, 0.1},
		{"cosine", 4, 10, 4, 0.1},
		{"cosine", 7, 10, 4, 0.05},
		{"cosine", 10, 10, 4, 0},
		{"constant", 1, 10, 4, 0.05},
		{"constant", 9, 10, 4, 0.1},
	} {
		got, err := learningRate(c.schedule, 0.1, c.step, c.steps, c.warmup)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s step %d of %d, warmup %d: lr %g, want %g", c.schedule, c.step, c.steps, c.warmup, got, c.want)
		}
	}
	if _, err := learningRate("linear", 0.1, 0, 10, 0); err == nil {
		t.Error("unknown schedule accepted")
	}
	for _, warmup := range []int{-1, 10} {
		if _, err := learningRate("cosine", 0.1, 0, 10, warmup); err == nil {
			t.Errorf("warmup %d of 10 steps accepted", warmup)
		}
	}
}
