package reorder

import (
	"bytes"
	"encoding/binary"

	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sampleSchedule is a two-layer schedule of every scope: a row-scope
// layer and a cell-scope one, with random levels.
func sampleSchedule(t testing.TB) *Schedule {
	rng := newRand(3)
	s := &Schedule{Header: ScheduleHeader{Strategy: Cell, Block: 4, Bits: 4, PCMLoss: 0.128, Model: "abc"}}
	for i, shape := range [][2]int{{5, 9}, {8, 3}} {
		lv := randomLevels(rng, shape[0], shape[1], 4)
		lv.Scale = []float64{0.5 + float64(i)}
		l := mustPartition(t, lv, 4)
		s.Layers = append(s.Layers, ScheduleLayer{Name: "conv" + string(rune('0'+i)), Weight: "w", Levels: lv, Order: mustPlan(t, l, Cell)})
	}
	return s
}

func encode(t testing.TB, s *Schedule) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestScheduleRoundTrip: a schedule read back holds the same levels and
// orders, and writes the same bytes again.
func TestScheduleRoundTrip(t *testing.T) {
	want := sampleSchedule(t)
	data := encode(t, want)
	got, err := ReadSchedule(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Layers) != len(want.Layers) {
		t.Fatalf("%d layers, want %d", len(got.Layers), len(want.Layers))
	}
	for i, l := range got.Layers {
		w := want.Layers[i]
		if l.Name != w.Name || !slices.Equal(l.Levels.Signed, w.Levels.Signed) || !slices.Equal(l.Order.Perm, w.Order.Perm) || !slices.Equal(l.Levels.Scale, w.Levels.Scale) {
			t.Errorf("layer %d differs after a round trip", i)
		}
	}
	if again := encode(t, got); !bytes.Equal(again, data) {
		t.Error("a schedule read back writes other bytes")
	}
}

// chipSchedule is sampleSchedule on a levelled two-core chip.
func chipSchedule(t testing.TB) *Schedule {
	s := sampleSchedule(t)
	var inf Inference
	for _, l := range s.Layers {
		inf.Layers = append(inf.Layers, mustPartition(t, l.Levels, s.Header.Block))
		inf.Orders = append(inf.Orders, l.Order)
	}
	r, err := PlanChip(inf, 2, DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	s.Chip = &r.LevelledPlan
	return s
}

// TestScheduleChipRoundTrip: the chip plan reads back as written, and a
// plan that runs a block row twice is refused.
func TestScheduleChipRoundTrip(t *testing.T) {
	want := chipSchedule(t)
	data := encode(t, want)
	got, err := ReadSchedule(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.Chip == nil || got.Chip.Cores != 2 || !slices.Equal(got.Chip.Jobs, want.Chip.Jobs) {
		t.Fatalf("chip plan %+v, want %+v", got.Chip, want.Chip)
	}
	if again := encode(t, got); !bytes.Equal(again, data) {
		t.Error("a chip schedule read back writes other bytes")
	}
	want.Chip.Jobs[1] = want.Chip.Jobs[0]
	if _, err := ReadSchedule(bytes.NewReader(encode(t, want))); err == nil || !strings.Contains(err.Error(), "runs twice") {
		t.Errorf("plan with a repeated job: error %v, want one saying it runs twice", err)
	}
}

// TestReadScheduleRejectsOversizedHeader: a header whose grid would need
// far more memory than the file holds is an error, not a panic or a huge
// allocation.
func TestReadScheduleRejectsOversizedHeader(t *testing.T) {
	for _, header := range []string{
		`{"format_version":1,"strategy":"cell","block":33554432,"bits":4,"pcm_loss":0.128,"layers":[{"name":"x","weight":"w","rows":1,"cols":1,"block_rows":1,"block_cols":1,"scope":"cell","scales":[1],"levels":{"offset":0,"length":1},"order":{"offset":1,"length":2}}]}`,
		`{"format_version":1,"strategy":"cell","block":4096,"bits":4,"pcm_loss":0.128,"layers":[{"name":"x","weight":"w","rows":4096,"cols":4096,"block_rows":1,"block_cols":1,"scope":"cell","scales":[1],"levels":{"offset":0,"length":16777216},"order":{"offset":0,"length":2}}]}`,
		`{"format_version":1,"strategy":"none","block":64,"bits":4,"pcm_loss":0.128,"layers":[{"name":"x","weight":"w","rows":1099511627776,"cols":16777216,"block_rows":17179869184,"block_cols":262144,"scope":"row","scales":[1],"levels":{"offset":0,"length":0},"order":{"offset":0,"length":2}}]}`,
	} {
		var buf bytes.Buffer
		buf.WriteString(ScheduleMagic)
		binary.Write(&buf, binary.LittleEndian, uint32(len(header)))
		buf.WriteString(header)
		buf.Write(make([]byte, 16))
		if _, err := ReadSchedule(bytes.NewReader(buf.Bytes())); err == nil {
			t.Errorf("header %.80s...: no error", header)
		}
	}
}

// FuzzReadSchedule: any input is read or refused without a panic, and
// what is read writes back to a schedule that reads the same.
func FuzzReadSchedule(f *testing.F) {
	f.Add(encode(f, sampleSchedule(f)))
	f.Add(encode(f, chipSchedule(f)))
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzReadSchedule", "*"))
	if len(seeds) == 0 {
		f.Add([]byte(ScheduleMagic))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadSchedule(bytes.NewReader(data))
		if err != nil {
			return
		}
		again, err := ReadSchedule(bytes.NewReader(encode(t, s)))
		if err != nil {
			t.Fatalf("a schedule read back does not read again: %v", err)
		}
		if len(again.Layers) != len(s.Layers) || (again.Chip == nil) != (s.Chip == nil) {
			t.Fatal("layers or chip plan lost in a round trip")
		}
	})
}
