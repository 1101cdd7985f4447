package data_test

import (
	"fmt"

	"github.com/elight-photonic/elight/finetune/data"
)

// Open labeled npy images, hold a seeded random test split out, and carve
// validation images out of the rest, as the search does.
func ExampleSplit_Carve() {
	d, err := data.Open("npy:../../testdata/resnet/input.npy,../../testdata/resnet/labels.npy", data.Options{Holdout: 0.25, Seed: 1})
	if err != nil {
		panic(err)
	}
	train, err := d.Split(data.Train)
	if err != nil {
		panic(err)
	}
	validation, rest, err := train.Carve(4, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(train.Len(), "training images:", validation.Len(), "to validate on,", rest.Len(), "to train on")
	// Output:
	// 24 training images: 4 to validate on, 20 to train on
}
