package data

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/onnxio"
	"github.com/elight-photonic/elight/onnxio/npy"
)

// input declares a model input [batch, dims...]; 0 declares a symbolic
// dimension.
func input(dims ...int64) onnxio.ValueInfo {
	v := onnxio.ValueInfo{Name: "input", DataType: onnxio.Float, Shape: []onnxio.Dim{{Value: -1, Param: "batch"}}}
	for _, d := range dims {
		if d == 0 {
			v.Shape = append(v.Shape, onnxio.Dim{Value: -1, Param: "n"})
		} else {
			v.Shape = append(v.Shape, onnxio.Dim{Value: d})
		}
	}
	return v
}

func TestCheckInput(t *testing.T) {
	idxDir := writeIdxSet(t, false, nil) // 1x2x3 images
	cifarDir := t.TempDir()
	writeCIFAR10(t, cifarDir, 1)
	npyDir := t.TempDir()
	xPath := filepath.Join(npyDir, "x.npy")
	if err := npy.WriteFloat32File(xPath, []int{1, 3, 4, 4}, make([]float32, 48)); err != nil {
		t.Fatal(err)
	}
	idx, cifar, npys := "idx:"+idxDir, "cifar10:"+cifarDir, "npy:"+xPath
	mean := []float32{0.5}
	for _, tc := range []struct {
		spec string
		p    Preprocess
		in   onnxio.ValueInfo
		want string // "" for no error
	}{
		{idx, Preprocess{}, input(1, 2, 3), ""},
		{idx, Preprocess{Pad: 1, Channels: 3}, input(3, 4, 5), ""},
		{idx, Preprocess{}, input(0, 0, 0), ""},
		{idx, Preprocess{}, onnxio.ValueInfo{Name: "input", DataType: onnxio.Float}, ""},
		{idx, Preprocess{}, input(3, 6, 7), idx + ` gives 1x2x3 images; the model's input "input" expects 3x6x7: add --pad 2 --channels 3`},
		{idx, Preprocess{}, input(1, 4, 4), idx + ` gives 1x2x3 images; the model's input "input" expects 1x4x4: add --resize 4x4`},
		{idx, Preprocess{Pad: 1, Mean: mean}, input(3, 4, 5), idx + ` with --pad 1 --mean 0.5 gives 1x4x5 images; the model's input "input" expects 3x4x5: use --pad 1 --channels 3 --mean 0.5`},
		{idx, Preprocess{Resize: Size{8, 8}}, input(1, 2, 3), idx + ` with --resize 8x8 gives 1x8x8 images; the model's input "input" expects 1x2x3: drop --resize 8x8`},
		{idx, Preprocess{}, input(3, 0, 0), idx + ` gives 1x2x3 images; the model's input "input" expects 3x?x?: add --channels 3`},
		{idx, Preprocess{}, input(1, 0, 7), idx + ` gives 1x2x3 images; the model's input "input" expects 1x?x7: add --resize 2x7`},
		{cifar, Preprocess{}, input(1, 32, 32), cifar + ` gives 3x32x32 images; the model's input "input" expects 1x32x32: the images have 3 channels and only a gray channel can be replicated`},
		{cifar, Preprocess{}, input(3, 28, 28), cifar + ` gives 3x32x32 images; the model's input "input" expects 3x28x28: add --resize 28x28`},
		{cifar, Preprocess{Channels: 1}, input(1, 32, 32), "--channels 1: the images have 3 channels"},
		{cifar, Preprocess{}, input(3, 32), `the model's input "input" has 3 dimensions; images go to inputs [batch, C, H, W]`},
		{cifar, Preprocess{}, onnxio.ValueInfo{Name: "ids", DataType: onnxio.Int64}, `the model's input "ids" is`},
		{npys, Preprocess{}, input(3, 4, 4), ""},
		{npys, Preprocess{}, input(3, 8, 8), npys + ` gives 3x4x4 images; the model's input "input" expects 3x8x8: npy images are used as stored`},
		{npys, Preprocess{Pad: 2}, input(3, 8, 8), "is already preprocessed: --pad, --resize, --channels, --mean and --std do not apply"},
	} {
		d, err := Open(tc.spec, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = d.CheckInput(tc.p, tc.in)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %+v for %v: %v", tc.spec, tc.p, tc.in.Shape, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %+v for %v: error %v\nwant %q", tc.spec, tc.p, tc.in.Shape, err, tc.want)
		}
	}
}

// TestCheckInputSuggestionWorks applies the suggested flags and checks that
// the images then fit, with the shapes of the testdata models.
func TestCheckInputSuggestionWorks(t *testing.T) {
	d, err := Open("idx:"+writeIdxSet(t, true, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []onnxio.ValueInfo{input(3, 32, 32), input(1, 2, 3), input(3, 9, 10), input(2, 7, 0)} {
		p := Preprocess{Mean: []float32{0.1}}
		if err := d.CheckInput(p, in); err != nil {
			fix, ok := d.fitting(p, [3]int{int(in.Shape[1].Value), int(in.Shape[2].Value), int(in.Shape[3].Value)})
			if !ok {
				t.Fatalf("%v: no fix", in.Shape)
			}
			if !strings.HasSuffix(err.Error(), strings.Join(fix.flags(), " ")) {
				t.Errorf("%v: %v does not end in the fix %v", in.Shape, err, fix.flags())
			}
			if err := d.CheckInput(fix, in); err != nil {
				t.Errorf("%v: with the suggested %v: %v", in.Shape, fix.flags(), err)
			}
		}
	}
}
