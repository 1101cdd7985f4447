package reorder

import (
	"strings"
	"testing"

	"github.com/elight-photonic/elight/quantize"
)

// A [3, 5] matrix at block 2 pads to [4, 6]: p = 2 cores, q = 3 blocks.
func TestPartition(t *testing.T) {
	lv := levelsOf(4,
		[]int16{1, 2, 3, 4, 5},
		[]int16{6, 7, 8, 9, 10},
		[]int16{-1, -2, -3, -4, -5},
	)
	l := mustPartition(t, lv, 2)
	if l.BlockRows() != 2 || l.BlockCols() != 3 || l.Max != 15 {
		t.Fatalf("grid %dx%d, max %d; want 2x3, 15", l.BlockRows(), l.BlockCols(), l.Max)
	}
	for r := range 4 {
		for col := range 6 {
			want := 0 // padding
			if r < 3 && col < 5 {
				want = lv.At(r, col)
			}
			if got := l.At(r/2, col/2, r%2, col%2); got != want {
				t.Errorf("block (%d, %d) cell (%d, %d) = %d, want element [%d, %d] = %d", r/2, col/2, r%2, col%2, got, r, col, want)
			}
		}
	}
	// Cell (0, 1) of core 0 sees columns 1, 3, 5 (padding) of row 0.
	if got := l.Seq(0, 0, 1); len(got) != 3 || got[0] != 2 || got[1] != 4 || got[2] != 0 {
		t.Errorf("Seq(0, 0, 1) = %v, want [2 4 0]", got)
	}
}

func TestPartitionErrors(t *testing.T) {
	outOfRange := levelsOf(2, []int16{0, 4})
	tests := []struct {
		name string
		lv   *quantize.Levels
		k    int
		want string
	}{
		{"block 0", levelsOf(4, []int16{1}), 0, "block size 0"},
		{"level out of range", outOfRange, 2, "level 4 of element [0, 1] outside [-3, 3]"},
		{"shape", &quantize.Levels{Config: quantize.Config{Bits: 4, PCMLoss: 0.1}, Rows: 2, Cols: 2, Signed: make([]int16, 3)}, 2, "do not form a [2, 2] matrix"},
		{"config", &quantize.Levels{Config: quantize.Config{Bits: 0, PCMLoss: 0.1}, Rows: 1, Cols: 1, Signed: make([]int16, 1)}, 2, "bits 0"},
		{"too many blocks", newLevels(1, MaxBlockCols+1, 4), 1, "exceed 65536"},
	}
	for _, tt := range tests {
		_, err := Partition(tt.lv, tt.k)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
