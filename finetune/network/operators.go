package network

import "github.com/elight-photonic/elight/onnxio"

// buildFunc builds one ONNX node. ins holds the node's inputs (nil for an
// omitted optional input); the result holds one value per node output, nil
// for outputs elight does not compute.
type buildFunc func(b *builder, n *onnxio.Node, ins []*value) ([]*value, error)

// operators maps ONNX operator types to their builders. Shape-only operators
// (Shape, Gather, Unsqueeze, ...) work on values known while building; they
// exist for the Reshape chains of older exporters, not for data.
var operators map[string]buildFunc

func init() {
	operators = map[string]buildFunc{
		// photonic layers and their normalization
		"Conv":               buildConv,
		"Gemm":               buildGemm,
		"MatMul":             buildMatMul,
		"BatchNormalization": buildBatchNorm,

		// activations and element-wise arithmetic
		"Relu":      buildRelu,
		"LeakyRelu": buildLeakyRelu,
		"Sigmoid":   buildSigmoid,
		"Clip":      buildClip,
		"Softmax":   buildSoftmax,
		"Add":       buildArith(arithAdd),
		"Sub":       buildArith(arithSub),
		"Mul":       buildArith(arithMul),
		"Div":       buildArith(arithDiv),

		// pooling and padding
		"MaxPool":           buildMaxPool,
		"AveragePool":       buildAveragePool,
		"GlobalAveragePool": buildGlobalAveragePool,
		"GlobalMaxPool":     buildGlobalMaxPool,
		"ReduceMean":        buildReduceMean,
		"Pad":               buildPad,

		// layout
		"Flatten":   buildFlatten,
		"Reshape":   buildReshape,
		"Concat":    buildConcat,
		"Identity":  buildIdentity,
		"Transpose": buildTranspose,
		"Dropout":   buildDropout,

		// build-time shape computation
		"Constant":  buildConstant,
		"Shape":     buildShape,
		"Gather":    buildGather,
		"Unsqueeze": buildUnsqueeze,
		"Squeeze":   buildSqueeze,
		"Cast":      buildCast,
	}
}
