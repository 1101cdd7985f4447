package reorder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/quantize"
)

// referenceNumbers is testdata/reference_numbers.json, written by
// testdata/reference_numbers.py, which re-expresses the ELight reference
// code's quantizer and write counting in torch.
type referenceNumbers struct {
	PCMLoss float64 `json:"pcm_loss"`
	Profile Profile `json:"profile"`
	Models  []struct {
		File   string `json:"file"`
		SHA256 string `json:"sha256"`
		Bits   int    `json:"bits"`
		Block  int    `json:"block"`
		Layers []struct {
			Node      string  `json:"node"`
			Weight    string  `json:"weight"`
			Rows      int     `json:"rows"`
			Cols      int     `json:"cols"`
			LevelsSHA string  `json:"levels_sha256"`
			Histogram []int64 `json:"histogram"`
			None      refCost `json:"none"`
			Sort      refCost `json:"sort"`
			Cell      refCost `json:"cell"`
		} `json:"layers"`
	} `json:"models"`
}

// refCost is one strategy's expected cost; Cell has writes only.
type refCost struct {
	Writes        int64   `json:"writes"`
	MaxCellWrites int64   `json:"max_cell_writes"`
	Up            int64   `json:"up"`
	Down          int64   `json:"down"`
	Energy        float64 `json:"energy"`
	LatencyUS     float64 `json:"latency_us"`
}

// stats returns r as Stats.
func (r refCost) stats() Stats {
	return Stats{Writes: r.Writes, Up: r.Up, Down: r.Down, MaxCellWrites: r.MaxCellWrites, Energy: r.Energy, LatencyUS: r.LatencyUS}
}

// TestReferenceNumbers quantizes the test models' real weights read by
// onnxio and checks levels, writes, max cell writes, energy and latency of
// the none and sort orders against the reference's computation, number for
// number, and the cell optimum's writes against its closed form. It logs
// every strategy's totals.
func TestReferenceNumbers(t *testing.T) {
	data, err := os.ReadFile("testdata/reference_numbers.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref referenceNumbers
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatalf("testdata/reference_numbers.json: %v", err)
	}
	ref.Profile.Name, ref.Profile.Endurance = DefaultProfile().Name, DefaultProfile().Endurance
	if ref.Profile != DefaultProfile() {
		t.Fatalf("reference profile %+v, DefaultProfile %+v", ref.Profile, DefaultProfile())
	}
	for _, entry := range ref.Models {
		path := filepath.Join("..", entry.File)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != entry.SHA256 {
			t.Fatalf("%s changed since testdata/reference_numbers.json was made: rerun /usr/bin/python3 reorder/testdata/reference_numbers.py from the repository root", entry.File)
		}
		m, err := onnxio.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		layers := m.Graph.PhotonicLayers()
		if len(layers) != len(entry.Layers) {
			t.Fatalf("%s: %d photonic layers, reference has %d", entry.File, len(layers), len(entry.Layers))
		}
		c := quantize.Config{Bits: entry.Bits, PCMLoss: ref.PCMLoss}
		total := make([]Stats, len(Strategies()))
		for li, want := range entry.Layers {
			layer := layers[li]
			name := entry.File + " " + want.Node
			if layer.Weight != want.Weight || layer.Rows != want.Rows || layer.Cols != want.Cols {
				t.Fatalf("%s: layer %d is %s [%d, %d], reference has %s [%d, %d]", name, li,
					layer.Weight, layer.Rows, layer.Cols, want.Weight, want.Rows, want.Cols)
			}
			lv, err := quantize.Quantize(layer.Matrix(m.Graph.Initializers[layer.Weight]), layer.Rows, layer.Cols, c)
			if err != nil {
				t.Fatal(err)
			}
			if got := lv.Histogram(); !slices.Equal(got, want.Histogram) {
				t.Errorf("%s bits %d: level histogram %v, want %v", name, entry.Bits, got, want.Histogram)
			}
			if got := levelsDigest(lv); got != want.LevelsSHA {
				t.Errorf("%s bits %d: levels digest %s, want %s", name, entry.Bits, got, want.LevelsSHA)
			}
			l, err := Partition(lv, entry.Block)
			if err != nil {
				t.Fatal(err)
			}
			for s, o := range PlanAll(l) {
				st, err := Account(l, o, DefaultProfile())
				if err != nil {
					t.Fatal(err)
				}
				total[s].Add(st)
				switch o.Strategy {
				case None, Sort:
					w := want.None
					if o.Strategy == Sort {
						w = want.Sort
					}
					if st != w.stats() {
						t.Errorf("%s bits %d block %d %s: %+v, want %+v", name, entry.Bits, entry.Block, o.Strategy, st, w.stats())
					}
				case Cell:
					if st.Writes != want.Cell.Writes || st.MaxCellWrites != want.Cell.MaxCellWrites {
						t.Errorf("%s bits %d block %d cell: writes %d, max cell %d; want %d, %d", name, entry.Bits, entry.Block,
							st.Writes, st.MaxCellWrites, want.Cell.Writes, want.Cell.MaxCellWrites)
					}
				}
			}
		}
		for s, st := range total {
			t.Logf("%s bits %d block %d %-6s writes %10d  max cell %5d  energy %.4g  latency %.4g us",
				entry.File, entry.Bits, entry.Block, Strategies()[s], st.Writes, st.MaxCellWrites, st.Energy, st.LatencyUS)
		}
	}
}

// levelsDigest returns the sha256 of lv's signed levels as int8 bytes,
// row-major: the reference script's digest (levels fit int8 below 8 bits).
func levelsDigest(lv *quantize.Levels) string {
	b := make([]byte, len(lv.Signed))
	for i, c := range lv.Signed {
		b[i] = byte(int8(c))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
