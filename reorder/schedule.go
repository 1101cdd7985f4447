package reorder

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/elight-photonic/elight/quantize"
)

// ScheduleMagic starts every schedule file.
const ScheduleMagic = "ELSCHED\x00"

// ScheduleVersion is the version of the schedule layout: 2 added the
// optional whole-chip plan. Readers accept every version up to it.
const ScheduleVersion = 2

// maxHeader bounds the JSON header a reader accepts, so a corrupt length
// cannot make it allocate gigabytes.
const maxHeader = 64 << 20

// Schedule is a programming schedule: for every photonic layer, the signed
// PCM level of every cell of every block, and the order in which each core
// receives the blocks. A hardware runtime executes it as follows, for layer
// l with K x K cores, core i (block row i), step t = 0..q-1 and cell (a, b):
//
//	j = Order.Seq(i, a, b)[t]         the block column programmed now
//	c = Levels.At(i*K+a, j*K+b)       the cell's signed level (0 in padding)
//	pos, neg = max(c, 0), max(-c, 0)  levels of the positive and negative array
//	input: x[j*K + b]                 what the cell must receive
//
// and the core's outputs are accumulated over the steps. The weight a level
// stands for is sign(c) * alpha * (beta^(L-1-|c|) - ref) / (1 - ref).
//
// Without a chip plan every layer has its own cores, one per block row,
// as above. With one (Chip), the chip has Chip.Cores physical cores and
// runs Chip.Jobs in order: job n programs block row Jobs[n].BlockRow of
// layer Jobs[n].Layer onto core Jobs[n].Core as above, with row a of the
// block on the core's row (a + RowShift) mod K; cells keep their levels
// between jobs and between inferences.
type Schedule struct {
	Header ScheduleHeader
	Layers []ScheduleLayer
	Chip   *ChipPlan
}

// ScheduleLayer is one layer's part of a schedule.
type ScheduleLayer struct {
	Name   string // ONNX node name
	Weight string // initializer name
	// Groups is a grouped Conv's group count, 0 or 1 otherwise: row r
	// then takes the input of group r / (Rows / Groups).
	Groups int
	Levels *quantize.Levels
	Order  *Order
}

// ScheduleHeader is the JSON header of a schedule file. Offsets are into the
// payload that follows the header.
type ScheduleHeader struct {
	FormatVersion int      `json:"format_version"`
	Strategy      Strategy `json:"strategy"`
	Block         int      `json:"block"`
	Bits          int      `json:"bits"`
	PCMLoss       float64  `json:"pcm_loss"`
	PerRowScale   bool     `json:"per_row_scale"`
	// Model is the SHA-256 of the ONNX file the schedule was made from.
	Model  string              `json:"model_sha256"`
	Layers []scheduleLayerJSON `json:"layers"`
	Chip   *scheduleChipJSON   `json:"chip,omitempty"`
}

type scheduleChipJSON struct {
	Cores int   `json:"cores"`
	Jobs  []Job `json:"jobs"`
}

type scheduleLayerJSON struct {
	Name      string    `json:"name"`
	Weight    string    `json:"weight"`
	Rows      int       `json:"rows"`
	Cols      int       `json:"cols"`
	BlockRows int       `json:"block_rows"`
	BlockCols int       `json:"block_cols"`
	Groups    int       `json:"groups,omitempty"`
	Scope     string    `json:"scope"` // row, column or cell: who shares an order
	Scales    []float64 `json:"scales"`
	// Levels: int8 (int16 little-endian for 8 bits) signed levels, row-major
	// [Rows, Cols], unpadded.
	Levels section `json:"levels"`
	// Order: uint16 little-endian block columns, [BlockRows][units][BlockCols]
	// with units 1 (row), K (column b) or K*K (cell a*K+b).
	Order section `json:"order"`
}

type section struct {
	Offset int64 `json:"offset"`
	Length int64 `json:"length"`
}

// levelBytes is the size of one stored level.
func levelBytes(bits int) int {
	if bits > 7 {
		return 2
	}
	return 1
}

// WriteTo encodes the schedule: magic, uint32 header length, JSON header,
// payload. The payload is streamed from the levels and orders through a
// small buffer: a VGG16-sized schedule is hundreds of megabytes, and a copy
// of it in memory would be as large as the model.
func (s *Schedule) WriteTo(w io.Writer) (int64, error) {
	h := s.Header
	h.FormatVersion = ScheduleVersion
	h.Layers = nil
	h.Chip = nil
	if s.Chip != nil {
		h.Chip = &scheduleChipJSON{Cores: s.Chip.Cores, Jobs: s.Chip.Jobs}
	}
	// Every section's length follows from the shapes, so the header, which
	// comes first, can be made before any payload is written.
	size := int64(levelBytes(h.Bits))
	var offset int64
	for _, l := range s.Layers {
		lv, o := l.Levels, l.Order
		if o.Grid.Rows != lv.Rows || o.Grid.Cols != lv.Cols || o.Grid.K != h.Block {
			return 0, fmt.Errorf("schedule: layer %q: order grid %+v does not fit levels [%d, %d] and block %d", l.Name, o.Grid, lv.Rows, lv.Cols, h.Block)
		}
		lj := scheduleLayerJSON{
			Name: l.Name, Weight: l.Weight, Rows: lv.Rows, Cols: lv.Cols,
			BlockRows: o.Grid.BlockRows(), BlockCols: o.Grid.BlockCols(),
			Scope: o.Scope.String(), Scales: lv.Scale, Groups: l.Groups,
		}
		lj.Levels = section{Offset: offset, Length: int64(len(lv.Signed)) * size}
		offset += lj.Levels.Length
		lj.Order = section{Offset: offset, Length: int64(len(o.Perm)) * 2}
		offset += lj.Order.Length
		h.Layers = append(h.Layers, lj)
	}
	header, err := json.Marshal(h)
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	bw.WriteString(ScheduleMagic)
	bw.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(header))))
	bw.Write(header)
	chunk := make([]byte, 0, 1<<16)
	for _, l := range s.Layers {
		for i, c := range l.Levels.Signed {
			if size == 1 {
				chunk = append(chunk, byte(int8(c)))
			} else {
				chunk = binary.LittleEndian.AppendUint16(chunk, uint16(c))
			}
			if len(chunk) >= cap(chunk)-1 || i == len(l.Levels.Signed)-1 {
				bw.Write(chunk)
				chunk = chunk[:0]
			}
		}
		for i, p := range l.Order.Perm {
			chunk = binary.LittleEndian.AppendUint16(chunk, p)
			if len(chunk) >= cap(chunk)-1 || i == len(l.Order.Perm)-1 {
				bw.Write(chunk)
				chunk = chunk[:0]
			}
		}
	}
	// bufio keeps the first error and returns it from Flush.
	err = bw.Flush()
	return cw.n, err
}

// countingWriter counts the bytes written through it, for WriteTo's result.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadSchedule decodes a schedule and checks that it is consistent: every
// section in bounds, every level in range, every order a permutation, and
// the chip plan, when there is one, valid for the layers.
func ReadSchedule(r io.Reader) (*Schedule, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	sf, err := OpenSchedule(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	s := &Schedule{Header: sf.Header}
	for i := range sf.Header.Layers {
		l, err := sf.Layer(i)
		if err != nil {
			return nil, err
		}
		s.Layers = append(s.Layers, *l)
	}
	if c := sf.Header.Chip; c != nil {
		plan := ChipPlan{Cores: c.Cores, Jobs: c.Jobs}
		if err := plan.Validate(s.inference()); err != nil {
			return nil, fmt.Errorf("schedule chip plan: %w", err)
		}
		s.Chip = &plan
		s.Header.Chip = nil
	}
	return s, nil
}

// ScheduleFile is a schedule whose layers are decoded one at a time, for
// schedules too large to hold whole (a model over 2 GiB has a schedule of
// gigabytes). Its header is checked when it is opened, each layer when it
// is decoded; a chip plan is only checked by ReadSchedule, which decodes
// every layer.
type ScheduleFile struct {
	// Header is the file's header; Layers lists every layer's sections.
	Header   ScheduleHeader
	r        io.ReaderAt
	payload  int64 // where the payload starts
	size     int64 // the payload's length
	cfg      quantize.Config
	strategy Strategy
}

// OpenSchedule reads and checks the header of the schedule of size bytes
// that r holds.
func OpenSchedule(r io.ReaderAt, size int64) (*ScheduleFile, error) {
	prefix := make([]byte, len(ScheduleMagic)+4)
	if _, err := r.ReadAt(prefix, 0); err != nil || string(prefix[:len(ScheduleMagic)]) != ScheduleMagic {
		return nil, errors.New("not an elight schedule (bad magic)")
	}
	n := binary.LittleEndian.Uint32(prefix[len(ScheduleMagic):])
	start := int64(len(prefix))
	if n > maxHeader || start+int64(n) > size {
		return nil, fmt.Errorf("schedule header of %d bytes does not fit the %d-byte file", n, size)
	}
	header := make([]byte, n)
	if _, err := r.ReadAt(header, start); err != nil {
		return nil, fmt.Errorf("schedule header: %w", err)
	}
	var h ScheduleHeader
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("schedule header: %w", err)
	}
	if h.FormatVersion < 1 || h.FormatVersion > ScheduleVersion {
		return nil, fmt.Errorf("schedule format version %d, this elight reads versions 1 to %d", h.FormatVersion, ScheduleVersion)
	}
	cfg := quantize.Config{Bits: h.Bits, PCMLoss: h.PCMLoss, PerRow: h.PerRowScale}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("schedule header: %w", err)
	}
	strategy, err := ParseStrategy(string(h.Strategy))
	if err != nil {
		return nil, fmt.Errorf("schedule header: %w", err)
	}
	return &ScheduleFile{Header: h, r: r, payload: start + int64(n), size: size - start - int64(n), cfg: cfg, strategy: strategy}, nil
}

// Layer decodes and checks layer i (from 0) of the schedule.
func (f *ScheduleFile) Layer(i int) (*ScheduleLayer, error) {
	lj := f.Header.Layers[i]
	l, err := decodeScheduleLayer(lj, f.section, f.size, f.cfg, f.strategy, f.Header.Block)
	if err != nil {
		return nil, fmt.Errorf("schedule layer %q: %w", lj.Name, err)
	}
	return l, nil
}

// section returns a reader of the payload bytes of sec, which must hold
// exactly want bytes.
func (f *ScheduleFile) section(sec section, want int64) (io.Reader, error) {
	if sec.Length != want {
		return nil, fmt.Errorf("section of %d bytes, want %d", sec.Length, want)
	}
	if sec.Offset < 0 || sec.Offset > f.size || want > f.size-sec.Offset {
		return nil, fmt.Errorf("section [%d, +%d) is outside the %d-byte payload", sec.Offset, want, f.size)
	}
	return io.NewSectionReader(f.r, f.payload+sec.Offset, want), nil
}

// readChunks reads n elements of size bytes from r a chunk at a time,
// handing each chunk to decode with the index of its first element, so
// that a section of gigabytes is never held whole beside what it decodes
// into.
func readChunks(r io.Reader, n int64, size int, decode func(first int64, chunk []byte) error) error {
	buf := make([]byte, (64<<10)/size*size)
	for first := int64(0); first < n; {
		m := min(int64(len(buf)/size), n-first)
		if _, err := io.ReadFull(r, buf[:m*int64(size)]); err != nil {
			return err
		}
		if err := decode(first, buf[:m*int64(size)]); err != nil {
			return err
		}
		first += m
	}
	return nil
}

// inference returns the schedule's layers as an Inference whose layers
// hold their grids only (no levels): enough to check a chip plan.
func (s *Schedule) inference() Inference {
	var inf Inference
	for _, l := range s.Layers {
		inf.Layers = append(inf.Layers, &Layer{Grid: l.Order.Grid})
		inf.Orders = append(inf.Orders, l.Order)
	}
	return inf
}

// decodeScheduleLayer decodes the layer lj describes from the payload of
// payload bytes, whose sections read returns.
func decodeScheduleLayer(lj scheduleLayerJSON, read func(sec section, want int64) (io.Reader, error), payload int64,
	cfg quantize.Config, strategy Strategy, k int) (*ScheduleLayer, error) {
	g := Grid{Rows: lj.Rows, Cols: lj.Cols, K: k}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if g.BlockRows() != lj.BlockRows || g.BlockCols() != lj.BlockCols {
		return nil, fmt.Errorf("block grid %d x %d, want %d x %d for [%d, %d] and block %d", lj.BlockRows, lj.BlockCols, g.BlockRows(), g.BlockCols(), lj.Rows, lj.Cols, k)
	}
	if lj.Groups < 0 || lj.Groups > 1 && lj.Rows%lj.Groups != 0 {
		return nil, fmt.Errorf("%d groups do not divide %d rows", lj.Groups, lj.Rows)
	}
	if lj.Scope != strategy.Scope().String() {
		return nil, fmt.Errorf("scope %q does not match strategy %s", lj.Scope, strategy)
	}
	wantScales := 1
	if cfg.PerRow {
		wantScales = lj.Rows
	}
	if len(lj.Scales) != wantScales {
		return nil, fmt.Errorf("%d scales, want %d", len(lj.Scales), wantScales)
	}
	for _, a := range lj.Scales {
		if a < 0 || math.IsNaN(a) || math.IsInf(a, 0) {
			return nil, fmt.Errorf("invalid scale %v", a)
		}
	}
	if int64(lj.Rows) > payload || int64(lj.Cols) > payload {
		return nil, fmt.Errorf("matrix [%d, %d] does not fit the %d-byte payload", lj.Rows, lj.Cols, payload)
	}
	size := levelBytes(cfg.Bits)
	levels, err := read(lj.Levels, int64(lj.Rows)*int64(lj.Cols)*int64(size))
	if err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	lv := &quantize.Levels{Config: cfg, Rows: lj.Rows, Cols: lj.Cols, Scale: lj.Scales, Signed: make([]int16, lj.Rows*lj.Cols)}
	err = readChunks(levels, int64(len(lv.Signed)), size, func(first int64, chunk []byte) error {
		signed := lv.Signed[first:][:len(chunk)/size]
		for j := range signed {
			if size == 1 {
				signed[j] = int16(int8(chunk[j]))
			} else {
				signed[j] = int16(binary.LittleEndian.Uint16(chunk[2*j:]))
			}
			if c := int(signed[j]); c < -cfg.MaxLevel() || c > cfg.MaxLevel() {
				i := int(first) + j
				return fmt.Errorf("level %d at [%d, %d] is outside [-%d, %d]", c, i/lj.Cols, i%lj.Cols, cfg.MaxLevel(), cfg.MaxLevel())
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	// the order's length is known before it is allocated: a header that
	// claims more entries than the payload holds is refused first
	entries := int64(g.BlockRows()) * int64(strategy.Scope().Units(k)) * int64(g.BlockCols())
	if entries > payload/2 {
		return nil, fmt.Errorf("order of %d entries does not fit the %d-byte payload", entries, payload)
	}
	o := newOrder(g, strategy)
	perm, err := read(lj.Order, entries*2)
	if err != nil {
		return nil, fmt.Errorf("order: %w", err)
	}
	err = readChunks(perm, entries, 2, func(first int64, chunk []byte) error {
		for j := range len(chunk) / 2 {
			o.Perm[int(first)+j] = binary.LittleEndian.Uint16(chunk[2*j:])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("order: %w", err)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &ScheduleLayer{Name: lj.Name, Weight: lj.Weight, Groups: lj.Groups, Levels: lv, Order: o}, nil
}
