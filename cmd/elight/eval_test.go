package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elight-photonic/elight/finetune/data/datatest"
	"github.com/elight-photonic/elight/onnxio/npy"
)

// preprocessingFlags returns the elight flags for the preprocessing a
// testdata model was trained with, from its meta.json.
func preprocessingFlags(t *testing.T, model string) (datatest.Meta, []string) {
	t.Helper()
	m := datatest.ReadMeta(t, "../..", model)
	join := func(v []float64) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, ",")
	}
	return m, []string{"--pad", fmt.Sprint(m.Preprocessing.Padding), "--channels", fmt.Sprint(m.Preprocessing.Input[0]),
		"--mean", join(m.Preprocessing.Mean), "--std", join(m.Preprocessing.Std)}
}

// evalJSON runs elight eval --json and decodes its result.
func evalJSON(t *testing.T, args ...string) evaluation {
	t.Helper()
	code, stdout, stderr := runElight(t, append([]string{"eval", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("elight eval %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	var res evaluation
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if res.Top1 != float64(res.Correct)/float64(res.N) {
		t.Fatalf("top1 %v is not %d/%d", res.Top1, res.Correct, res.N)
	}
	return res
}

// TestEvalTestdataModels evaluates the testdata models on the first test
// images of the data they were trained on: the accuracy must be near the
// one torch measured on the full test set.
func TestEvalTestdataModels(t *testing.T) {
	for _, tc := range []struct {
		model, file string
		dir         func(testing.TB) string
		limit       int
	}{
		{"vgg8", "vgg8_bnfold_op13.onnx", datatest.FashionMNISTDir, 500},
		{"resnet", "resnet_bn_op17.onnx", datatest.MNISTDir, 500},
	} {
		t.Run(tc.model, func(t *testing.T) {
			meta, flags := preprocessingFlags(t, tc.model)
			args := append([]string{filepath.Join("../../testdata", tc.model, tc.file), "--data", "idx:" + tc.dir(t), "--limit", fmt.Sprint(tc.limit)}, flags...)
			res := evalJSON(t, args...)
			if res.N != tc.limit || res.Split != "test" {
				t.Fatalf("evaluated %d images of %q, want %d of test", res.N, res.Split, tc.limit)
			}
			// 500 images estimate the accuracy to about +-1.3 points (one
			// standard error at 90%); allow 3.5
			if math.Abs(res.Top1-meta.TestAccuracy) > 0.035 {
				t.Errorf("top-1 %.4f on %d images; torch measured %.4f on all 10000", res.Top1, res.N, meta.TestAccuracy)
			}
			t.Logf("%s: top-1 %.4f on the first %d test images (torch, all 10000: %.4f)", tc.model, res.Top1, res.N, meta.TestAccuracy)
		})
	}
}

// TestEvalMatchesTorchLogits counts correct images from the logits torch
// computed for test images 0..32 (logits.npy, logits1.npy) and checks that
// eval counts the same, with batch sizes that leave partial last batches.
func TestEvalMatchesTorchLogits(t *testing.T) {
	_, flags := preprocessingFlags(t, "vgg8")
	want := 0
	for _, ref := range []string{"", "1"} {
		logits, err := npy.ReadFile("../../testdata/vgg8/logits" + ref + ".npy")
		if err != nil {
			t.Fatal(err)
		}
		labels, err := npy.ReadFile("../../testdata/vgg8/labels" + ref + ".npy")
		if err != nil {
			t.Fatal(err)
		}
		for i, label := range labels.Int {
			row := logits.Float[i*10 : (i+1)*10]
			top := 0
			for c := range row {
				if row[c] > row[top] {
					top = c
				}
			}
			if int64(top) == label {
				want++
			}
		}
	}
	spec := "idx:" + datatest.FashionMNISTDir(t)
	for _, batch := range []string{"33", "10", "64"} {
		res := evalJSON(t, append([]string{"../../testdata/vgg8/vgg8_bnfold_op11.onnx", "--data", spec, "--limit", "33", "--batch", batch}, flags...)...)
		if res.N != 33 || res.Correct != want {
			t.Errorf("--batch %s: %d of %d correct; torch's logits have %d of 33", batch, res.Correct, res.N, want)
		}
	}
}

// TestEvalNpy evaluates the preprocessed reference batch; its accuracy is
// meta.json's ref_accuracy, computed by torch.
func TestEvalNpy(t *testing.T) {
	meta := datatest.ReadMeta(t, "../..", "resnet")
	res := evalJSON(t, resnetModel, "--data", "npy:../../testdata/resnet/input.npy,../../testdata/resnet/labels.npy", "--split", "all", "--batch", "7")
	if res.N != 32 || res.Top1 != meta.Reference.Accuracy {
		t.Errorf("top-1 %v on %d images; torch: %v on 32", res.Top1, res.N, meta.Reference.Accuracy)
	}
	code, stdout, stderr := runElight(t, "eval", resnetModel, "--data", "npy:../../testdata/resnet/input.npy,../../testdata/resnet/labels.npy", "--split", "all")
	if want := fmt.Sprintf("top-1 accuracy %.4f (%d of 32 images correct; npy:../../testdata/resnet/input.npy,../../testdata/resnet/labels.npy, all)\n", meta.Reference.Accuracy, int(meta.Reference.Accuracy*32)); code != 0 || stdout != want {
		t.Errorf("exit %d, output %q (%s)\nwant %q", code, stdout, stderr, want)
	}
}

// TestEvalBadCommandLines checks that mistakes give one error line that
// says what to do, with exit status 2 for wrong command lines and 1 for
// data that does not fit.
func TestEvalBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	labels := filepath.Join(dir, "labels.npy")
	if err := npy.WriteInt64File(labels, []int{32}, append(make([]int64, 31), 10)); err != nil {
		t.Fatal(err)
	}
	x := "../../testdata/resnet/input.npy"
	spec := "idx:" + datatest.FashionMNISTDir(t)
	_, flags := preprocessingFlags(t, "vgg8")
	vgg := "../../testdata/vgg8/vgg8_bnfold_op13.onnx"
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"eval", vgg}, 2, "no --data given"},
		{[]string{"eval", "--data", spec}, 2, "want exactly one MODEL.onnx argument, got 0"},
		{[]string{"eval", vgg, "--data", spec, "--batch", "0"}, 2, "--batch 0"},
		{[]string{"eval", vgg, "--data", spec, "--resize", "32"}, 2, "--resize 32: want HEIGHTxWIDTH"},
		{[]string{"eval", vgg, "--data", spec, "--mean", "a,b"}, 2, `invalid argument "a,b" for "--mean" flag`},
		{[]string{"eval", vgg, "--data", spec, "--holdout", "1.5"}, 2, "--holdout 1.5"},
		{[]string{"eval", vgg, "--data", spec}, 1, `gives 1x28x28 images; the model's input "input" expects 3x32x32: add --pad 2 --channels 3`},
		{[]string{"eval", vgg, "--data", spec, "--pad", "2"}, 1, "with --pad 2 gives 1x32x32 images; the model's input \"input\" expects 3x32x32: use --pad 2 --channels 3"},
		{append([]string{"eval", vgg, "--data", spec, "--split", "all"}, flags...), 1, `has no split "all"; it has test, train`},
		{[]string{"eval", vgg, "--data", "mnist:/x"}, 1, `unknown format "mnist"`},
		{[]string{"eval", vgg, "--data", "npy:" + x}, 1, "has no labels to measure accuracy against"},
		{[]string{"eval", vgg, "--data", "npy:" + x + "," + labels, "--split", "all"}, 1, "image 31 of the all split has label 10, but the model has 10 classes"},
		{[]string{"eval", vgg, "--data", "npy:" + x, "--pad", "1"}, 1, "is already preprocessed"},
		{[]string{"eval", "nothere.onnx", "--data", spec}, 1, "nothere.onnx"},
	} {
		code, _, stderr := runElight(t, tc.args...)
		// the error on one line; usage errors may add a pointer to the help
		first, rest, _ := strings.Cut(stderr, "\n")
		if code != tc.code || !strings.HasPrefix(first, "elight eval: ") || !strings.Contains(first, tc.want) ||
			(rest != "" && rest != "run 'elight help eval' for usage\n") {
			t.Errorf("%s: exit %d, %q\nwant exit %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want)
		}
	}
}
