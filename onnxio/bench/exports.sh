#!/usr/bin/env bash
# Imports every export made by torchvision_exports.py with elight and prints one Markdown
# row per file: elight's logits against torch's (largest difference, relative to the
# logits' range), `elight optimize --no-finetune` wall-clock seconds and peak resident
# memory (GNU time), total writes none / cell, and the BatchNormalization nodes left in
# the annotated model (onnx, Debian's python).
#
#   /usr/bin/python3 onnxio/bench/torchvision_exports.py /tmp/tv
#   onnxio/bench/exports.sh /tmp/tv
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:?usage: exports.sh DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/elight" ./cmd/elight

echo "| export | MB | logits max diff / range | optimize s | peak memory MB | writes none | writes cell | BatchNorm left |"
echo "|---|---|---|---|---|---|---|---|"
for model in "$dir"/*.onnx; do
	name=$(basename "$model" .onnx)
	net=${name%_*}
	"$tmp/elight" run "$model" --input "$dir/input.npy" --output "$tmp/logits.npy" >/dev/null
	diff=$(/usr/bin/python3 -c "import numpy as np, sys; a = np.load(sys.argv[1]); b = np.load(sys.argv[2]); print('%.2g' % (abs(a - b).max() / (b.max() - b.min())))" "$tmp/logits.npy" "$dir/$net.logits.npy")
	/usr/bin/time -f '%e %M' -o "$tmp/time" "$tmp/elight" optimize "$model" -o "$tmp/q.onnx" --no-finetune -q
	read -r seconds kb <"$tmp/time"
	writes=$(jq -r '"\(.totals.writes.none) | \(.totals.writes.cell)"' "$tmp/q.report.json")
	bn=$(/usr/bin/python3 -c "import onnx, sys; print(sum(n.op_type == 'BatchNormalization' for n in onnx.load(sys.argv[1], load_external_data=False).graph.node))" "$tmp/q.onnx")
	echo "| $name | $(( $(stat -c %s "$model") / 1000000 )) | $diff | $seconds | $(( kb / 1024 )) | $writes | $bn |"
	rm -f "$tmp"/q.*
done
