// Package elight prepares pretrained CNNs for photonic in-memory computing:
// the pipeline the elight command runs, for Go programs to call.
//
// Optimize takes an ONNX model (BatchNorm folded on the way), fine-tunes it
// with a write-aware loss (an accuracy-driven search by default),
// log-quantizes every photonic layer to PCM levels with QuantizeLayers,
// accounts five programming orders, and returns the annotated model, the
// programming schedule and the report; Result.WriteFiles writes them,
// streamed from memory, and Result.Encode gives their bytes.
// Verify replays a schedule against the model it was written with. The
// README states the method with every formula.
package elight
