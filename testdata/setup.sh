#!/usr/bin/env bash
# Installs what elight's tests compare against, on a fresh Debian machine:
#   libonnx-testdata       ONNX's own backend test cases (model + reference tensors)
#   dataset-fashion-mnist  real images for the data loaders and accuracy tests
#   python3-onnx           onnx.checker, which must accept every file elight writes
#   onnxruntime-node       the reference runtime (native library inside the npm package)
# and the library elight links against when built with cgo (the default):
#   libopenblas-dev        the BLAS finetune/network gives gorgonia; CGO_ENABLED=0 builds pure Go
# Training the test models needs python3-torch too; the committed files do not.
set -euo pipefail
cd "$(dirname "$0")"

need=()
[ -d /usr/share/libonnx-testdata/data/node ] || need+=(libonnx-testdata)
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
/usr/bin/python3 -c 'import onnx' 2>/dev/null || need+=(python3-onnx)
dpkg-query -W -f='${Status}' libopenblas-dev 2>/dev/null | grep -q 'ok installed' || need+=(libopenblas-dev)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -d ort/node_modules/onnxruntime-node ]; then
  (cd ort && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
