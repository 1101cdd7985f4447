package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/elight-photonic/elight/finetune/data"
	"github.com/elight-photonic/elight/onnxio"
	"github.com/spf13/pflag"
)

// dataFlags name a dataset and how its images are preprocessed; every
// command that reads images (eval, and optimize for fine-tuning) registers
// them with register and turns them into a dataset with open.
type dataFlags struct {
	spec     string
	pad      int
	resize   string
	channels int
	mean     []float32
	std      []float32
	holdout  float64
	seed     uint64
}

// dataSpecHelp documents the --data specs, for commands' long help.
const dataSpecHelp = `
--data names the images and their format:
  cifar10:DIR     CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin)
                  in DIR or DIR/cifar-10-batches-bin
  cifar100:DIR    CIFAR-100 binary (train.bin, test.bin) in DIR or
                  DIR/cifar-100-binary; fine labels
  idx:DIR         MNIST-style train-images-idx3-ubyte, train-labels-idx1-ubyte,
                  t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, plain or .gz
  images:DIR      PNG/JPEG images in one subfolder per class; classes are
                  numbered in sorted folder-name order
  npy:X.npy[,Y.npy]
                  float32 images [N, C, H, W], already preprocessed, and
                  their int64 labels [N]
CIFAR and idx data have train and test splits; for images and npy data the
test split is a seeded random --holdout fraction, train is the rest, and the
split "all" holds every image.

Images are preprocessed in this order: --pad zero pixels on every side,
bilinear --resize, pixels divided by 255, a gray channel replicated to
--channels, then x = (x - mean[c]) / std[c], in float32. The images must fit
the model's input; if they do not, elight says which flags make them fit
before it reads any image.`

func (f *dataFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.spec, "data", "", "the images, `FORMAT:PATH` (cifar10:DIR, cifar100:DIR, idx:DIR, images:DIR, npy:X.npy[,Y.npy]); required")
	fs.IntVar(&f.pad, "pad", 0, "zero pixels added on every side of each image, before normalization")
	fs.StringVar(&f.resize, "resize", "", "resize images bilinearly to `HxW` (after padding)")
	fs.IntVar(&f.channels, "channels", 0, "replicate gray images to `C` channels (default: keep the images' channels)")
	fs.Var((*floatList[float32])(&f.mean), "mean", "subtract `m1,m2,m3` from the channels after scaling pixels to [0,1]; one value applies to every channel")
	fs.Var((*floatList[float32])(&f.std), "std", "then divide the channels by `s1,s2,s3`; one value applies to every channel")
	fs.Float64Var(&f.holdout, "holdout", data.DefaultHoldout, "fraction of images and npy data held out as the test split")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of the random holdout (and of shuffling, where a command shuffles)")
}

// preprocess checks the flags on their own and returns the dataset options
// and preprocessing they ask for.
func (f *dataFlags) preprocess() (data.Options, data.Preprocess, error) {
	if f.spec == "" {
		return data.Options{}, data.Preprocess{}, usageError("no --data given")
	}
	if !(f.holdout > 0 && f.holdout < 1) {
		return data.Options{}, data.Preprocess{}, usageError("--holdout %v: want a fraction between 0 and 1", f.holdout)
	}
	if f.pad < 0 {
		return data.Options{}, data.Preprocess{}, usageError("--pad %d: want 0 or more pixels", f.pad)
	}
	if f.channels < 0 {
		return data.Options{}, data.Preprocess{}, usageError("--channels %d: want a positive number", f.channels)
	}
	p := data.Preprocess{Pad: f.pad, Channels: f.channels, Mean: f.mean, Std: f.std}
	if f.resize != "" {
		h, w, ok := strings.Cut(strings.ToLower(f.resize), "x")
		var err1, err2 error
		p.Resize.H, err1 = strconv.Atoi(h)
		p.Resize.W, err2 = strconv.Atoi(w)
		if !ok || err1 != nil || err2 != nil || p.Resize.H < 1 || p.Resize.W < 1 {
			return data.Options{}, data.Preprocess{}, usageError("--resize %s: want HEIGHTxWIDTH in pixels, e.g. 32x32", f.resize)
		}
	}
	return data.Options{Holdout: f.holdout, Seed: f.seed}, p, nil
}

// open opens the dataset and checks, before any image is read, that its
// preprocessed images fit the model input in.
func (f *dataFlags) open(in onnxio.ValueInfo) (*data.Dataset, data.Preprocess, error) {
	opts, p, err := f.preprocess()
	if err != nil {
		return nil, p, err
	}
	d, err := data.Open(f.spec, opts)
	if err != nil {
		return nil, p, err
	}
	if err := d.CheckInput(p, in); err != nil {
		return nil, p, err
	}
	return d, p, nil
}

// imageInput returns the model's one graph input, which images feed.
func imageInput(m *onnxio.Model) (onnxio.ValueInfo, error) {
	if len(m.Graph.Inputs) != 1 {
		names := make([]string, len(m.Graph.Inputs))
		for i, in := range m.Graph.Inputs {
			names[i] = in.Name
		}
		return onnxio.ValueInfo{}, fmt.Errorf("%s has %d graph inputs (%s); images can feed only a model with one input", m.Path, len(names), strings.Join(names, ", "))
	}
	return m.Graph.Inputs[0], nil
}

// floatList is a flag value of comma-separated numbers: float32s parsed
// exactly as float32 (a decimal printed from a float32 reads back as the
// same value), or float64s.
type floatList[T float32 | float64] []T

// bits is the precision T parses and prints at.
func (l *floatList[T]) bits() int {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return 32
	}
	return 64
}

func (l *floatList[T]) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.FormatFloat(float64(v), 'g', -1, l.bits())
	}
	return strings.Join(s, ",")
}

func (l *floatList[T]) Set(s string) error {
	var out []T
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), l.bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", f)
		}
		out = append(out, T(v))
	}
	*l = out
	return nil
}

func (l *floatList[T]) Type() string { return "floats" }
