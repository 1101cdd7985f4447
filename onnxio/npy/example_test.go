package npy_test

import (
	"bytes"
	"fmt"

	"github.com/elight-photonic/elight/onnxio/npy"
)

// Write a 2 x 3 float32 array as numpy.save would, and read it back.
func ExampleRead() {
	var file bytes.Buffer
	if err := npy.WriteFloat32(&file, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}); err != nil {
		panic(err)
	}
	a, err := npy.Read(&file)
	if err != nil {
		panic(err)
	}
	fmt.Println(a.DType, a.Shape, a.Float)
	// Output:
	// <f4 [2 3] [1 2 3 4 5 6]
}
