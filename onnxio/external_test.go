package onnxio

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

// externalModel is convModel with w stored in location at the given offset.
func externalModel(location string, offset, length int) *onnxpb.ModelProto {
	mp := convModel()
	kv := []*onnxpb.StringStringEntryProto{{Key: "location", Value: location}}
	if offset >= 0 {
		kv = append(kv, &onnxpb.StringStringEntryProto{Key: "offset", Value: strconv.Itoa(offset)})
	}
	if length >= 0 {
		kv = append(kv, &onnxpb.StringStringEntryProto{Key: "length", Value: strconv.Itoa(length)})
	}
	mp.Graph.Initializer[0] = &onnxpb.TensorProto{
		Name: "w", DataType: int32(Float), Dims: []int64{3, 2, 1, 1},
		DataLocation: onnxpb.TensorProto_EXTERNAL, ExternalData: kv,
	}
	return mp
}

// weightBytes is w of convModel, 1..6, as little-endian float32s, after a
// 4-byte header that the offset skips.
func weightBytes() []byte {
	return append([]byte("HDR!"), rawFloat("w", nil, 1, 2, 3, 4, 5, 6).RawData...)
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "w.bin"), weightBytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 2, 3, 4, 5, 6}

	for _, tc := range []struct {
		name           string
		offset, length int
	}{
		{"offset and length", 4, 24},
		{"offset only", 4, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, "model.onnx", externalModel("data/w.bin", tc.offset, tc.length))
			m, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Graph.Initializers["w"].Float; !slicesEqualF(got, want) {
				t.Errorf("w = %v, want %v", got, want)
			}

			// Written inline, the copy in another folder needs no data file.
			out := filepath.Join(t.TempDir(), "inline.onnx")
			if err := Write(out, m); err != nil {
				t.Fatal(err)
			}
			tp := readProto(t, out).Graph.Initializer[0]
			if tp.DataLocation != onnxpb.TensorProto_DEFAULT || len(tp.ExternalData) != 0 || len(tp.RawData) != 24 {
				t.Errorf("written w: location %v, external %v, %d raw bytes", tp.DataLocation, tp.ExternalData, len(tp.RawData))
			}
			m2, err := Read(out)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffModels(m, m2); d != "" {
				t.Error(d)
			}
		})
	}

	// Parse takes the folder explicitly.
	if _, err := Parse(marshal(t, externalModel("data/w.bin", 4, 24)), dir); err != nil {
		t.Errorf("Parse with dir: %v", err)
	}
}

func TestExternalDataErrors(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "w.bin"), weightBytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), weightBytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "w.bin"), filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		location string
		offset   int
		length   int
		want     string
	}{
		{"missing file", "gone.bin", 0, -1,
			`initializer "w": external data file ` + filepath.Join(dir, "gone.bin") + ` not found`},
		{"parent folder", "../w.bin", 4, 24, `initializer "w": external data location "../w.bin" is outside the model's folder`},
		{"absolute", filepath.Join(outside, "w.bin"), 4, 24, `is outside the model's folder`},
		{"symlink out", "link.bin", 4, 24, `initializer "w": external data ` + filepath.Join(dir, "link.bin") + `: `},
		{"no location", "", 4, 24, `initializer "w": external data has no location`},
		{"length mismatch", "w.bin", 4, 20, `initializer "w": external data length is 20 bytes, the shape needs 24`},
		{"file too short", "w.bin", 8, -1, `has 28 bytes, need 24 at offset 8`},
		{"offset past end", "w.bin", 100, -1, `need 24 at offset 100`},
		{"folder", ".", 0, -1, `is not a regular file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, dir, "model.onnx", externalModel(tt.location, tt.offset, tt.length))
			_, err := Read(path)
			if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read error = %v, want %q", err, tt.want)
			}
		})
	}

	// Malformed numbers.
	for _, kv := range []*onnxpb.StringStringEntryProto{{Key: "offset", Value: "-1"}, {Key: "length", Value: "x"}} {
		mp := externalModel("w.bin", -1, -1)
		tp := mp.Graph.Initializer[0]
		tp.ExternalData = append(tp.ExternalData, kv)
		if _, err := Parse(marshal(t, mp), dir); err == nil || !strings.Contains(err.Error(), "external data "+kv.Key) {
			t.Errorf("%s=%s: error %v", kv.Key, kv.Value, err)
		}
	}
}

func slicesEqualF(a, b []float32) bool {
	return equalTensor(&Tensor{Float: a}, &Tensor{Float: b})
}
