package finetune

import (
	"math"
	"testing"
)

func TestLearningRate(t *testing.T) {
	for _, c := range []struct {
		schedule    string
		step, steps int
		want        float64
	}{
		{"constant", 0, 10, 0.1},
		{"constant", 25, 10, 0.1},
		{"cosine", 0, 10, 0.1},
		{"cosine", 5, 10, 0.05},
		{"cosine", 10, 10, 0},
		// past the run the schedule stays at its end instead of rising again
		{"cosine", 15, 10, 0},
	} {
		got, err := learningRate(c.schedule, 0.1, c.step, c.steps)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s step %d of %d: lr %g, want %g", c.schedule, c.step, c.steps, got, c.want)
		}
	}
	if _, err := learningRate("linear", 0.1, 0, 10); err == nil {
		t.Error("unknown schedule accepted")
	}
}
