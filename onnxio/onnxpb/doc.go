// Package onnxpb holds the ONNX protobuf messages, generated from the
// onnx.proto3 schema of github.com/advancedclimatesystems/gonnx v1.1.0.
//
// The proto package is elight.onnx rather than onnx so that its registered
// names cannot clash with other ONNX libraries linked into the same binary;
// the wire format is that of ONNX. Run go generate after changing
// generate.sh; do not edit onnx.pb.go by hand.
package onnxpb

//go:generate sh generate.sh
