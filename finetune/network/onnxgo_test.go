package network

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	onnxgo "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/onnxio/onnxtest"
)

// TestAgainstOnnxGo runs the testdata exports that onnx-go's gorgonnx
// backend supports there too, as an independent second implementation on
// the same engine, and compares its logits with elight's.
func TestAgainstOnnxGo(t *testing.T) {
	models, _ := filepath.Glob("../../testdata/*/*.onnx")
	ran := 0
	for _, path := range models {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		backend := gorgonnx.NewGraph()
		model := onnxgo.NewModel(backend)
		if err := unmarshalOnnxGo(model, data); err != nil {
			t.Logf("%s: onnx-go cannot load it: %v", filepath.Base(path), err)
			continue
		}
		x := readNpy(t, filepath.Join(filepath.Dir(path), "input1.npy"))
		if err := model.SetInput(0, tensor.New(tensor.WithShape(1, 3, 32, 32), tensor.WithBacking(append([]float32(nil), x.Float...)))); err != nil {
			t.Logf("%s: onnx-go: %v", filepath.Base(path), err)
			continue
		}
		if err := runOnnxGo(backend); err != nil {
			t.Logf("%s: onnx-go cannot run it: %v", filepath.Base(path), err)
			continue
		}
		outs, err := model.GetOutputTensors()
		if err != nil || len(outs) == 0 {
			t.Logf("%s: onnx-go gives no output: %v", filepath.Base(path), err)
			continue
		}
		theirs, ok := outs[0].Data().([]float32)
		if !ok {
			t.Fatalf("%s: onnx-go output of %T", filepath.Base(path), outs[0].Data())
		}
		m, err := onnxio.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		ours := runOne(t, m, x).Float
		diff, span := onnxtest.MaxAbsDiff(ours, theirs), onnxtest.Range(ours)
		t.Logf("%s: max |elight - onnx-go| = %.3g (logits range %.3g)", filepath.Base(path), diff, span)
		if diff > 1e-4*span {
			t.Errorf("%s: elight and onnx-go differ by %.3g", filepath.Base(path), diff)
		}
		ran++
	}
	// onnx-go v0.5.0 runs the six VGG8 exports; it lacks Shape and the
	// opset-13 Unsqueeze the ResNet exports use.
	if ran < 6 {
		t.Fatalf("onnx-go ran %d testdata exports, want the 6 VGG8 ones", ran)
	}
}

// onnx-go panics on some graphs it does not support; a panic there is a
// limit of the oracle, not a failure of elight.
func unmarshalOnnxGo(m *onnxgo.Model, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError{r}
		}
	}()
	return m.UnmarshalBinary(data)
}

func runOnnxGo(b *gorgonnx.Graph) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError{r}
		}
	}()
	return b.Run()
}

type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprint("panic: ", p.v) }
