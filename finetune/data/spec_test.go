package data

import (
	"strings"
	"testing"
)

func TestOpenBadSpecs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ spec, want string }{
		{"mnist:" + dir, `unknown format "mnist"; want one of cifar10:DIR, cifar100:DIR, idx:DIR, images:DIR, npy:X.npy[,Y.npy]`},
		{dir, "want FORMAT:PATH"},
		{"idx:", "want FORMAT:PATH"},
		{"idx:" + dir + "/nothere", "nothere: no such file or directory"},
		{"cifar10:" + dir, "data_batch_1.bin: no such file or directory; want the cifar10 binary batches (data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin, test_batch.bin) in DIR or DIR/cifar-10-batches-bin"},
		{"idx:" + dir, "has no train-images-idx3-ubyte"},
		{"images:" + dir, "has no class subfolders"},
	} {
		_, err := Open(tc.spec, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.spec, err, tc.want)
		}
	}
}

func TestSplitNames(t *testing.T) {
	dir := writeIdxSet(t, false, nil)
	d, err := Open("idx:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Split(All); err == nil || !strings.Contains(err.Error(), `has no split "all"; it has test, train`) {
		t.Errorf("split all of idx data: %v", err)
	}
	a, _ := d.Split(Test)
	b, _ := d.Split(Test)
	if a != b {
		t.Errorf("a split is read twice")
	}
}
