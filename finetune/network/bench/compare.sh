#!/usr/bin/env bash
# Times elight against its peers on this machine, in one run, and prints the
# ratios issue 13 asks for:
#
#   VGG8, batch 32, 32x32 (testdata/vgg8/vgg8_bnfold_op13.onnx):
#     forward       BenchmarkForwardVGG8         vs onnxruntime-node (testdata/ort/bench.js)
#                                                   and PyTorch (bench/torch_step.py)
#     network step  BenchmarkTrainStepVGG8       vs PyTorch's plain training step
#     full step     BenchmarkTrainerStepVGG8/l2  vs PyTorch's ELight-style step (the
#                   quantizer, the l2 meanR write loss, Adam), and against elight's
#                   own network step
#   torchvision ResNet-18, batch 16, 224x224 (BatchNorm folded, exported by torch_step.py):
#     full step     BenchmarkTrainerStepModel    vs PyTorch's plain and ELight-style steps,
#                   3 steps each, in every round
#   peak memory of a fine-tuning run (GNU time): `elight optimize --steps 3` on
#     Fashion-MNIST (ResNet-18 resized to 224x224) vs torch_step.py --count 3
#
#   finetune/network/bench/compare.sh [ROUNDS] [SECONDS]
#
# Each round runs every VGG8 program once for about SECONDS (default 3),
# then the ResNet-18 steps; rounds (default 3) interleave the programs so
# that load from other processes falls on all of them alike. Other load
# makes single figures swing by 2x on shared machines, so the summary gives
# each program's best round (the one least disturbed) and the median of the
# ratios within rounds. Every peer gets 2 threads. In the table, "r18 t.plain"
# and "r18 t.style" are torch's plain and ELight-style ResNet-18 steps.
# Needs `bash testdata/setup.sh` (onnxruntime-node, OpenBLAS, Fashion-MNIST)
# and Debian's python3-torch and python3-torchvision in /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/../../.."

rounds=${1:-3}
seconds=${2:-3}
model=testdata/vgg8/vgg8_bnfold_op13.onnx
torch_step=finetune/network/bench/torch_step.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -d testdata/ort/node_modules/onnxruntime-node ] || { echo "compare.sh: run bash testdata/setup.sh first" >&2; exit 1; }
/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null ||
	{ echo "compare.sh: /usr/bin/python3 has no torch or torchvision (apt-get install python3-torch python3-torchvision)" >&2; exit 1; }
go test -c -o "$tmp/network.test" ./finetune/network
go test -c -o "$tmp/finetune.test" ./finetune
go build -o "$tmp/elight" ./cmd/elight

# rate FILE PATTERN prints the images/s figure of the line matching PATTERN.
rate() { grep -E "$2" "$1" | head -1 | grep -oE '[0-9.]+ images/s' | cut -d' ' -f1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$torch_step" --model resnet18 --batch 16 --export "$tmp/resnet18.onnx"
echo
echo "VGG8, batch 32, and ResNet-18 (torchvision), batch 16, 224x224, images/s:"
printf '%-6s %10s %10s %10s %11s %11s %11s %11s %11s %11s %11s\n' round "elight fwd" "ort fwd" "torch fwd" "elight net" "torch net" "elight full" "torch full" \
	"r18 elight" "r18 t.plain" "r18 t.style"
for round in $(seq "$rounds"); do
	(cd finetune/network && "$tmp/network.test" -test.run '^$' -test.bench 'VGG8$' -test.benchtime "${seconds}s") >"$tmp/go" 2>&1 ||
		{ cat "$tmp/go" >&2; exit 1; }
	(cd finetune && "$tmp/finetune.test" -test.run '^$' -test.bench 'TrainerStepVGG8/l2$' -test.benchtime "${seconds}s") >"$tmp/full" 2>&1 ||
		{ cat "$tmp/full" >&2; exit 1; }
	node testdata/ort/bench.js "$model" 32 "$seconds" >"$tmp/ort"
	/usr/bin/python3 "$torch_step" --batch 32 --seconds "$seconds" --threads 2 --steps plain,elight >"$tmp/torch"
	(cd finetune && "$tmp/finetune.test" -test.run '^$' -test.bench 'TrainerStepModel$' -test.benchtime 3x \
		-bench-model "$tmp/resnet18.onnx" -bench-batch 16) >"$tmp/r18go" 2>&1 || { cat "$tmp/r18go" >&2; exit 1; }
	/usr/bin/python3 "$torch_step" --model resnet18 --batch 16 --seconds 1 --threads 2 --steps plain,elight >"$tmp/r18torch"
	row=("$(rate "$tmp/go" '^BenchmarkForwardVGG8')" "$(rate "$tmp/ort" .)" "$(rate "$tmp/torch" ' forward:')"
		"$(rate "$tmp/go" '^BenchmarkTrainStepVGG8')" "$(rate "$tmp/torch" ' train step:')"
		"$(rate "$tmp/full" '^BenchmarkTrainerStepVGG8/l2')" "$(rate "$tmp/torch" ' elight step:')"
		"$(rate "$tmp/r18go" '^BenchmarkTrainerStepModel')" "$(rate "$tmp/r18torch" ' train step:')" "$(rate "$tmp/r18torch" ' elight step:')")
	printf '%-6s %10s %10s %10s %11s %11s %11s %11s %11s %11s %11s\n' "$round" "${row[@]}"
	for i in "${!row[@]}"; do echo "${row[$i]}" >>"$tmp/col$i"; done
	[ "$round" = 1 ] && blas=$(grep -m1 'BLAS:' "$tmp/go" | sed 's/.*BLAS: //')
done

# best COLUMN is a column's largest figure; ratios A B is the median over
# rounds of column A / column B.
best() { sort -g "$tmp/col$1" | tail -1; }
ratios() { paste "$tmp/col$1" "$tmp/col$2" | awk '{ printf "%.3f\n", $1 / $2 }' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }


# peak COMMAND... runs the command under GNU time and appends its peak
# resident memory, in MB, to mem.
mem=()
peak() {
	/usr/bin/time -f '%M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/peak.err" || { cat "$tmp/peak.err" >&2; exit 1; }
	mem+=($(($(tail -1 "$tmp/time") / 1024)))
}
fashion=(--data idx:/usr/share/datasets/fashion-mnist --pad 2 --channels 3 --mean 0.5 --std 0.5)
tune=(--steps 3 --diff-weight 1 --diff-loss l2 --eval-limit 32 -q)
peak "$tmp/elight" optimize "$model" -o "$tmp/v.onnx" "${fashion[@]}" --batch 32 "${tune[@]}"
peak /usr/bin/python3 "$torch_step" --batch 32 --threads 2 --count 3
peak "$tmp/elight" optimize "$tmp/resnet18.onnx" -o "$tmp/r.onnx" "${fashion[@]}" --resize 224x224 --batch 16 "${tune[@]}"
peak /usr/bin/python3 "$torch_step" --model resnet18 --batch 16 --threads 2 --count 3

echo
echo "elight: $blas"
echo "images/s, best of $rounds rounds; ratios of the bests, and (in brackets) the median of the ratios within rounds:"
printf '  VGG8 forward       elight %7.1f   onnxruntime %7.1f   torch %7.1f   elight/onnxruntime %s (%.2f)   elight/torch %s (%.2f)\n' \
	"$(best 0)" "$(best 1)" "$(best 2)" "$(ratio "$(best 0)" "$(best 1)")" "$(ratios 0 1)" "$(ratio "$(best 0)" "$(best 2)")" "$(ratios 0 2)"
printf '  VGG8 network step  elight %7.1f   torch %7.1f   elight/torch %s (%.2f)\n' \
	"$(best 3)" "$(best 4)" "$(ratio "$(best 3)" "$(best 4)")" "$(ratios 3 4)"
printf '  VGG8 full step     elight %7.1f   torch ELight-style %7.1f   elight/torch %s (%.2f)   elight network step / full step %s (%.2f)\n' \
	"$(best 5)" "$(best 6)" "$(ratio "$(best 5)" "$(best 6)")" "$(ratios 5 6)" "$(ratio "$(best 3)" "$(best 5)")" "$(ratios 3 5)"
printf '  ResNet-18 224 b16  elight full step %7.2f   torch plain step %7.2f   elight/torch %s (%.2f)   torch ELight-style %7.2f   elight/torch %s (%.2f)\n' \
	"$(best 7)" "$(best 8)" "$(ratio "$(best 7)" "$(best 8)")" "$(ratios 7 8)" "$(best 9)" "$(ratio "$(best 7)" "$(best 9)")" "$(ratios 7 9)"
echo "peak memory of a 3-step fine-tuning run, MB:"
printf '  VGG8 b32           elight optimize %6s   torch %6s   elight/torch %s\n' "${mem[0]}" "${mem[1]}" "$(ratio "${mem[0]}" "${mem[1]}")"
printf '  ResNet-18 224 b16  elight optimize %6s   torch %6s   elight/torch %s\n' "${mem[2]}" "${mem[3]}" "$(ratio "${mem[2]}" "${mem[3]}")"
