package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/elight-photonic/elight/onnxio/npy"
	"github.com/elight-photonic/elight/onnxio/onnxpb"
)

const (
	resnetModel = "../../testdata/resnet/resnet_bnfold_op11.onnx"
	resnetInput = "../../testdata/resnet/input.npy"
)

// elight runs the command line in-process and returns its exit status,
// standard output and standard error.
func runElight(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := mainWithArgs(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunWritesLogits(t *testing.T) {
	out := filepath.Join(t.TempDir(), "logits.npy")
	code, _, stderr := runElight(t, "run", resnetModel, "--input", resnetInput, "--output", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := npy.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := npy.ReadFile("../../testdata/resnet/logits.npy")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Float) != len(want.Float) {
		t.Fatalf("got %d logits, want %d", len(got.Float), len(want.Float))
	}
	for i := range got.Float {
		if math.Abs(float64(got.Float[i]-want.Float[i])) > 1e-3 {
			t.Fatalf("logit %d: %v, torch %v", i, got.Float[i], want.Float[i])
		}
	}
}

// TestBadInputFailsCleanly checks that every kind of bad input gives one
// error line naming the culprit, exit status 1, and no output file.
func TestBadInputFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	valid, err := os.ReadFile(resnetModel)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	edit := func(name string, change func(*onnxpb.ModelProto)) string {
		var m onnxpb.ModelProto
		if err := proto.Unmarshal(valid, &m); err != nil {
			t.Fatal(err)
		}
		change(&m)
		data, err := proto.Marshal(&m)
		if err != nil {
			t.Fatal(err)
		}
		return write(name, data)
	}
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919 + i/13)
	}
	nan := filepath.Join(dir, "nan.npy")
	small := filepath.Join(dir, "small.npy")
	writeNpy(t, nan, []int{1, 3, 32, 32}, math.NaN())
	writeNpy(t, small, []int{1, 3, 28, 28}, 0.5)

	cases := []struct {
		name, model, input, mention string
	}{
		{"empty file", write("empty.onnx", nil), resnetInput, "empty.onnx"},
		{"truncated", write("truncated.onnx", valid[:len(valid)/2]), resnetInput, "truncated.onnx"},
		{"random bytes", write("random.onnx", random), resnetInput, "random.onnx"},
		{"missing initializer", edit("noinit.onnx", func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = m.Graph.Initializer[1:]
		}), resnetInput, "noinit.onnx"},
		{"unknown op", edit("unknown.onnx", func(m *onnxpb.ModelProto) {
			m.Graph.Node[1].OpType = "FancyOp"
		}), resnetInput, "FancyOp"},
		{"wrong input shape", resnetModel, small, "[1 3 28 28]"},
		{"NaN input", resnetModel, nan, "NaN"},
		{"not a tensor file", resnetModel, write("x.npy", random), "x.npy"},
		{"missing model", filepath.Join(dir, "absent.onnx"), resnetInput, "absent.onnx"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".out.npy")
			code, stdout, stderr := runElight(t, "run", c.model, "--input", c.input, "--output", out)
			if code != 1 {
				t.Errorf("exit status %d, want 1 (stderr %q)", code, stderr)
			}
			if lines := strings.Count(strings.TrimRight(stderr, "\n"), "\n") + 1; lines != 1 || stdout != "" {
				t.Errorf("want one error line and no output, got stderr %q stdout %q", stderr, stdout)
			}
			if !strings.Contains(stderr, c.mention) {
				t.Errorf("error %q does not mention %q", stderr, c.mention)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output file exists after a failed run")
			}
			t.Logf("%s", strings.TrimSpace(stderr))
		})
	}
}

func writeNpy(t *testing.T, path string, shape []int, fill float64) {
	t.Helper()
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(fill)
	}
	if err := npy.WriteFloat32File(path, shape, data); err != nil {
		t.Fatal(err)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{"run"},
		{"run", resnetModel},
		{"run", resnetModel, "--input", resnetInput, "--bogus"},
		{"inspect", resnetModel, "--block", "0"},
		{"frobnicate"},
	}
	for _, args := range cases {
		code, _, stderr := runElight(t, args...)
		if code != 2 || !strings.Contains(stderr, "elight") {
			t.Errorf("elight %v: exit %d, stderr %q; want exit 2 with a usage hint", args, code, stderr)
		}
	}
}

func TestRunRefusesToOverwriteItsInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "x.npy")
	data, err := os.ReadFile(resnetInput)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runElight(t, "run", resnetModel, "--input", in, "--output", in)
	if code != 1 || !strings.Contains(stderr, "overwrite") {
		t.Fatalf("exit %d, stderr %q; want a refusal", code, stderr)
	}
	after, _ := os.ReadFile(in)
	if !bytes.Equal(after, data) {
		t.Fatal("the input file changed")
	}
}

func TestHelpDocumentsEveryCommand(t *testing.T) {
	for _, c := range commands() {
		code, stdout, _ := runElight(t, "help", c.name)
		if code != 0 || !strings.Contains(stdout, "usage: elight "+c.name) || !strings.Contains(stdout, "Example:") {
			t.Errorf("elight help %s: exit %d, output %q", c.name, code, stdout)
		}
	}
}
