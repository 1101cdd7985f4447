#!/usr/bin/env bash
# Lays the bundled models (pretrained weights, no fine-tuning) out on chips
# of 1, 8 and 64 physical cores with every --device preset, verifies every
# schedule (elight verify replays two inferences of the whole chip), and
# prints one Markdown table row per model, core count and strategy: total
# writes and the most-written cell per inference, naive and wear-levelled,
# and the levelled lifetime in inferences under each preset. The README's
# chip table:
#
#   reorder/bench/chip_table.sh [MODEL.onnx...]
#
# Writes and most-written cells do not depend on the device (presets differ
# in endurance only); the script still runs and verifies every preset.
set -euo pipefail
cd "$(dirname "$0")/../.."
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(testdata/vgg8/vgg8_bnfold_op13.onnx testdata/resnet/resnet_bnfold_op13.onnx)
presets=(reference gst gsst gsse sb2se3)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/elight" ./cmd/elight

echo "| model | cores | strategy | writes naive -> levelled | most-written cell naive -> levelled | lifetime (inferences): ${presets[*]} |"
echo "|---|---|---|---|---|---|"
for model in "${models[@]}"; do
	name=$(basename "$model" .onnx)
	for cores in 1 8 64; do
		for device in "${presets[@]}"; do
			out="$tmp/$name-$cores-$device"
			"$tmp/elight" optimize "$model" -o "$out.onnx" --no-finetune --device "$device" --cores "$cores" -q
			"$tmp/elight" verify "$out.onnx" "$out.sched" --report "$out.report.json" >/dev/null ||
				{ echo "verify failed: $name, $cores cores, $device" >&2; exit 1; }
		done
		for s in none sort cell column block; do
			lifetimes=$(for device in "${presets[@]}"; do
				jq -r --arg s "$s" '.chip.levelled.lifetime_inferences[$s]' "$tmp/$name-$cores-$device.report.json"
			done | awk '{ printf "%s%s", (NR > 1 ? " / " : ""), ($1 == 0 ? "unlimited" : sprintf("%.3g", $1)) }')
			jq -r --arg s "$s" --arg name "$name" --arg cores "$cores" --arg life "$lifetimes" '
				.chip as $c |
				"| \($name) | \($cores) | \($s)\(if ($c.fell_back // []) | index($s) then " (naive kept)" else "" end) | \($c.naive.writes[$s]) -> \($c.levelled.writes[$s]) | \($c.naive.max_cell_writes[$s]) -> \($c.levelled.max_cell_writes[$s]) | \($life) |"' \
				"$tmp/$name-$cores-reference.report.json"
		done
	done
done
