package reorder

import (
	"bytes"
	"encoding/binary"

	"path/filepath"
	"slices"
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
		if len(again.Layers) != len(s.Layers) {
			t.Fatal("layers lost in a round trip")
		}
	})
}
