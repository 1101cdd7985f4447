package onnxio

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus in testdata/fuzz/FuzzParse")

// FuzzParse checks that Parse never panics and that whatever it accepts,
// Write can encode and Parse reads back as the same IR, that writing that
// again changes no byte, and that FoldBatchNorm keeps it valid. The seeds are in testdata/fuzz/FuzzParse;
// regenerate them with
//
//	go test ./onnxio -run TestFuzzSeeds -update-corpus
func FuzzParse(f *testing.F) {
	// External data in fuzz inputs is looked up in an empty folder, apart
	// from the one the written models go to, so no input can find a file.
	root := fuzzDir(f)
	dir, out := filepath.Join(root, "empty"), filepath.Join(root, "out", "out.onnx")
	for _, d := range []string{dir, filepath.Dir(out)} {
		if err := os.Mkdir(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, dir)
		if err != nil {
			return
		}
		if err := Write(out, m); err != nil {
			t.Fatalf("Write of a parsed model: %v", err)
		}
		written, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Parse(written, dir)
		if err != nil {
			t.Fatalf("Parse of a written model: %v", err)
		}
		if d := diffModels(m, m2); d != "" {
			t.Fatalf("IR changed in a round trip: %s", d)
		}
		if err := Write(out, m2); err != nil {
			t.Fatalf("second Write: %v", err)
		}
		again, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(written, again) {
			t.Fatal("writing a written model again changed its bytes")
		}

		// Folding rewrites whatever graph the fuzzer built; the result
		// must still be a model Parse accepts.
		if _, err := FoldBatchNorm(m2); err != nil {
			t.Fatalf("FoldBatchNorm of a parsed model: %v", err)
		}
		if err := Write(out, m2); err != nil {
			t.Fatalf("Write after FoldBatchNorm: %v", err)
		}
		if folded, err := os.ReadFile(out); err != nil {
			t.Fatal(err)
		} else if _, err := Parse(folded, dir); err != nil {
			t.Fatalf("Parse after FoldBatchNorm: %v", err)
		}
	})
}

// fuzzDir returns an empty folder for FuzzParse, in memory where the
// system has /dev/shm: Write syncs every file to disk, which takes
// milliseconds on a real disk and would cut the fuzzer's speed a
// hundredfold.
func fuzzDir(f *testing.F) string {
	dir, err := os.MkdirTemp("/dev/shm", "onnxio-fuzz-")
	if err != nil {
		return f.TempDir()
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// fuzzSeeds returns small models that reach the parts of Parse and Write a
// fuzzer would otherwise take long to find: every data type, raw and typed
// data, constants, subgraphs, unsorted nodes, external data.
func fuzzSeeds() map[string]*onnxpb.ModelProto {
	p := bnParams{scale: []float32{1, 2}, shift: []float32{0, 1}, mean: []float32{1, 0}, variance: []float32{1, 1}}
	unsorted := convModel()
	unsorted.Graph.Node[0], unsorted.Graph.Node[1] = unsorted.Graph.Node[1], unsorted.Graph.Node[0]
	legacy := convModel()
	legacy.Graph.Input = append(legacy.Graph.Input, tensorVI("w", 3, 2, 1, 1), tensorVI("b", 3))
	types := modelP(&onnxpb.GraphProto{
		Initializer: []*onnxpb.TensorProto{
			{Name: "f64", DataType: int32(Double), Dims: []int64{2}, DoubleData: []float64{1, 2}},
			{Name: "i64", DataType: int32(Int64), Dims: []int64{1}, RawData: []byte{1, 0, 0, 0, 0, 0, 0, 0}},
			{Name: "i32", DataType: int32(Int32), Dims: []int64{1}, Int32Data: []int32{-1}},
			{Name: "i8", DataType: int32(Int8), Dims: []int64{2}, RawData: []byte{0x80, 1}},
			{Name: "u8", DataType: int32(Uint8), Dims: []int64{1}, Int32Data: []int32{200}},
			{Name: "b", DataType: int32(Bool), Dims: []int64{1, 1}, RawData: []byte{1}},
			{Name: "empty", DataType: int32(Float), Dims: []int64{0}},
		},
		Output: []*onnxpb.ValueInfoProto{{Name: "f64"}, {Name: "i64"}, {Name: "i32"}, {Name: "i8"}, {Name: "u8"}, {Name: "b"}, {Name: "empty"}},
	})
	body := &onnxpb.GraphProto{
		Node:   []*onnxpb.NodeProto{nodeP("Identity", "inner", []string{"x"}, []string{"o"})},
		Output: []*onnxpb.ValueInfoProto{tensorVI("o")},
	}
	withIf := modelP(&onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{nodeP("If", "if", []string{"cond"}, []string{"y"},
			&onnxpb.AttributeProto{Name: "then_branch", Type: onnxpb.AttributeProto_GRAPH, G: body},
			&onnxpb.AttributeProto{Name: "else_branch", Type: onnxpb.AttributeProto_GRAPH, G: body})},
		Input:  []*onnxpb.ValueInfoProto{tensorVI("x", 1), {Name: "cond"}},
		Output: []*onnxpb.ValueInfoProto{tensorVI("y", 1)},
	})
	constants := modelP(&onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeP("Constant", "k", nil, []string{"k"}, &onnxpb.AttributeProto{
				Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: rawFloat("", []int64{2}, 1, 2),
			}),
			nodeP("Constant", "kf", nil, []string{"kf"}, floatAttr("value_float", 2)),
			nodeP("Constant", "ki", nil, []string{"ki"}, intsAttr("value_ints", 2, 1)),
			nodeP("Mul", "mul", []string{"k", "kf"}, []string{"m"}),
			nodeP("Reshape", "reshape", []string{"m", "ki"}, []string{"y"},
				&onnxpb.AttributeProto{Name: "untyped", Floats: []float32{1}},
				&onnxpb.AttributeProto{Name: "s", Type: onnxpb.AttributeProto_STRINGS, Strings: [][]byte{[]byte("a")}}),
		},
		Output: []*onnxpb.ValueInfoProto{tensorVI("y", 2, 1)},
	})
	gemm := modelP(&onnxpb.GraphProto{
		Node: []*onnxpb.NodeProto{
			nodeP("Gemm", "fc", []string{"a", "B", "C"}, []string{"c"}, intAttr("transB", 1)),
			bnNode(1e-5),
		},
		Initializer: append(p.initializers(2), floatData("B", []int64{2, 2}, 1, 2, 3, 4), floatData("C", []int64{2}, 1, 1)),
		Input:       []*onnxpb.ValueInfoProto{tensorVI("a", -1, 2)},
		Output:      []*onnxpb.ValueInfoProto{tensorVI("y", -1, 2)},
	})
	return map[string]*onnxpb.ModelProto{
		"conv":      convModel(),
		"rich":      richModel(),
		"unsorted":  unsorted,
		"legacy":    legacy,
		"types":     types,
		"if":        withIf,
		"constants": constants,
		"convbn":    convBN([]float32{2, 3}, []int64{2, 1, 1, 1}, nil, p, 1e-5),
		"gemmbn":    gemm,
		"external":  externalModel("w.bin", 0, 24),
	}
}

func TestFuzzSeeds(t *testing.T) {
	corpus := filepath.Join("testdata", "fuzz", "FuzzParse")
	seeds := map[string][]byte{}
	for name, mp := range fuzzSeeds() {
		data := marshal(t, mp)
		seeds["seed-"+name] = data
		if name == "conv" || name == "rich" || name == "constants" {
			seeds["seed-"+name+"-half"] = data[:len(data)/2]
			seeds["seed-"+name+"-short"] = data[:len(data)-1]
		}
		if name != "external" {
			// The seeds must reach past decoding.
			if _, err := Parse(data, t.TempDir()); err != nil {
				t.Errorf("seed %s: %v", name, err)
			}
		}
	}
	if !*updateCorpus {
		for name := range seeds {
			if _, err := os.Stat(filepath.Join(corpus, name)); err != nil {
				t.Errorf("seed %s missing from %s; run go test ./onnxio -run TestFuzzSeeds -update-corpus", name, corpus)
			}
		}
		return
	}
	if err := os.MkdirAll(corpus, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range seeds {
		// The format go test reads seed corpus files in.
		file := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(corpus, name), []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
