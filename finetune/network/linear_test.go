package network

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSum4ChannelsIsSequential checks that the four chains of
// sum4Channels add each channel's elements in their order, as the
// one-channel loop does: the same bits.
func TestSum4ChannelsIsSequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const batch, channels, inner = 3, 7, 50
	g := make([]float32, batch*channels*inner)
	for i := range g {
		// magnitudes far apart, so that another order rounds differently
		g[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(10)-5)))
	}
	for c := 0; c+4 <= channels; c++ {
		got := [4]float32{}
		got[0], got[1], got[2], got[3] = sum4Channels(g, c, channels, inner)
		for k := range 4 {
			var want float32
			for n := range batch {
				for _, v := range g[(n*channels+c+k)*inner:][:inner] {
					want += v
				}
			}
			if math.Float32bits(got[k]) != math.Float32bits(want) {
				t.Errorf("channel %d: %g, want %g", c+k, got[k], want)
			}
		}
	}
}
