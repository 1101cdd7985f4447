package report

import (
	"bytes"
	"testing"
)

// FuzzDecode: any input is a report or an error, never a panic; a report
// that decodes marshals to JSON that decodes to the same bytes again.
func FuzzDecode(f *testing.F) {
	r := &Report{FormatVersion: FormatVersion, Strategy: "cell", Layers: []Layer{{Name: "conv", Rows: 2, Cols: 3, BlockRows: 1, BlockCols: 1}}}
	r.Layers[0].Writes.Set("cell", 7)
	r.Sum()
	seed, err := r.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"format_version": 1, "strategy": "none"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		once, err := r.Marshal()
		if err != nil {
			t.Fatalf("a decoded report does not marshal: %v", err)
		}
		again, err := Decode(bytes.NewReader(once))
		if err != nil {
			t.Fatalf("a marshalled report does not decode: %v", err)
		}
		twice, _ := again.Marshal()
		if !bytes.Equal(once, twice) {
			t.Fatal("a report changes in a second round trip")
		}
	})
}
