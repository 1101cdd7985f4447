#!/bin/sh
# generate.sh regenerates onnx.pb.go from the onnx.proto3 that the Go module
# github.com/advancedclimatesystems/gonnx ships, so the schema comes from a
# pinned, checksummed source rather than a file copied by hand.
#
# The proto package is renamed from "onnx" to "elight.onnx" and the file is
# registered under elight/onnx/onnx.proto: other ONNX Go libraries (gonnx,
# onnx-go) register "onnx.*" names, and protobuf-go refuses duplicate full
# names in one binary. The wire format does not depend on either name.
#
# Needs protoc and protoc-gen-go (google.golang.org/protobuf/cmd/protoc-gen-go)
# on PATH or in $(go env GOPATH)/bin. Run from anywhere; go generate runs it
# from this folder.
set -eu

GONNX=github.com/advancedclimatesystems/gonnx@v1.1.0
MODULE=github.com/elight-photonic/elight

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PATH="$PATH:$(go env GOPATH)/bin"

dir=$(cd "$root" && go mod download -json "$GONNX" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$dir" ] || [ ! -f "$dir/onnx/onnx.proto3" ]; then
	echo "generate.sh: cannot find onnx/onnx.proto3 of $GONNX" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/src/elight/onnx" "$tmp/out"
sed -e 's/^package onnx;$/package elight.onnx;/' \
	-e "s#^option go_package = .*#option go_package = \"$MODULE/onnxio/onnxpb\";#" \
	"$dir/onnx/onnx.proto3" >"$tmp/src/elight/onnx/onnx.proto"

# Fail loudly if upstream changed the lines the seds rely on.
grep -q '^package elight.onnx;$' "$tmp/src/elight/onnx/onnx.proto"
grep -q "^option go_package = \"$MODULE/onnxio/onnxpb\";\$" "$tmp/src/elight/onnx/onnx.proto"

protoc --proto_path="$tmp/src" \
	--go_out="$tmp/out" --go_opt=module="$MODULE" \
	elight/onnx/onnx.proto

cp "$tmp/out/onnxio/onnxpb/onnx.pb.go" "$here/onnx.pb.go"
