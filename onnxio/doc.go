// Package onnxio reads and writes ONNX models as exported by PyTorch, in the
// intermediate representation (IR) that the rest of elight analyses, runs and
// rewrites.
//
// Read and Parse decode a model file, check that its graph is well formed
// (every value defined once and before use, tensor sizes consistent) and fill
// a Model. Write encodes a Model back, keeping everything of the original
// file the IR does not model: values are rewritten only where the IR now says
// something different, so an unchanged model is written back with the same
// bytes. FoldBatchNorm is a graph pass that merges inference-mode batch
// normalisation into the preceding convolution or fully connected layer.
//
// The ONNX messages live in the onnxpb subpackage.
package onnxio
