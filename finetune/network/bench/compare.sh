#!/usr/bin/env bash
# Times elight against its peers on the testdata VGG8 (batch 32, 32x32) on
# this machine, in one run, and prints the ratios:
#
#   forward     BenchmarkForwardVGG8    vs onnxruntime-node (testdata/ort/bench.js)
#                                          and PyTorch (bench/torch_step.py)
#   train step  BenchmarkTrainStepVGG8  vs PyTorch (bench/torch_step.py)
#
#   finetune/network/bench/compare.sh [ROUNDS] [SECONDS]
#
# Each round runs every program once for about SECONDS (default 3); rounds
# (default 3) interleave the programs so that load from other processes
# falls on all of them alike. Other load makes single figures swing by 2x on
# shared machines, so the summary gives each program's best round (the one
# least disturbed) and the median of the ratios within rounds. Every peer
# gets 2 threads. Needs `bash testdata/setup.sh` (onnxruntime-node,
# OpenBLAS) and Debian's python3-torch in /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/../../.."

rounds=${1:-3}
seconds=${2:-3}
model=testdata/vgg8/vgg8_bnfold_op13.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -d testdata/ort/node_modules/onnxruntime-node ] || { echo "compare.sh: run bash testdata/setup.sh first" >&2; exit 1; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "compare.sh: /usr/bin/python3 has no torch (apt-get install python3-torch)" >&2; exit 1; }
go test -c -o "$tmp/network.test" ./finetune/network

# rate FILE PATTERN prints the images/s figure of the line matching PATTERN.
rate() { grep -E "$2" "$1" | head -1 | grep -oE '[0-9.]+ images/s' | cut -d' ' -f1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %16s %16s %16s %16s %16s\n' round "elight fwd" "ort fwd" "torch fwd" "elight train" "torch train"
for round in $(seq "$rounds"); do
  (cd finetune/network && "$tmp/network.test" -test.run '^$' -test.bench 'VGG8$' -test.benchtime "${seconds}s") >"$tmp/go" 2>&1 ||
    { cat "$tmp/go" >&2; exit 1; }
  node testdata/ort/bench.js "$model" 32 "$seconds" >"$tmp/ort"
  /usr/bin/python3 finetune/network/bench/torch_step.py --batch 32 --seconds "$seconds" --threads 2 >"$tmp/torch"
  row=("$(rate "$tmp/go" '^BenchmarkForwardVGG8')" "$(rate "$tmp/ort" .)" "$(rate "$tmp/torch" ' forward:')"
    "$(rate "$tmp/go" '^BenchmarkTrainStepVGG8')" "$(rate "$tmp/torch" ' train step:')")
  printf '%-6s %16s %16s %16s %16s %16s\n' "$round" "${row[@]}"
  for i in "${!row[@]}"; do echo "${row[$i]}" >>"$tmp/col$i"; done
  [ "$round" = 1 ] && blas=$(grep -m1 'BLAS:' "$tmp/go" | sed 's/.*BLAS: //')
done

# best COLUMN is a column's largest figure; ratios A B is the median over
# rounds of column A / column B.
best() { sort -g "$tmp/col$1" | tail -1; }
ratios() { paste "$tmp/col$1" "$tmp/col$2" | awk '{ printf "%.3f\n", $1 / $2 }' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "elight: $blas"
echo "images/s, best of $rounds rounds; ratios of the bests, and (in brackets) the median of the ratios within rounds:"
printf '  forward     elight %7.1f   onnxruntime %7.1f   torch %7.1f   elight/onnxruntime %s (%.2f)   elight/torch %s (%.2f)\n' \
  "$(best 0)" "$(best 1)" "$(best 2)" "$(ratio "$(best 0)" "$(best 1)")" "$(ratios 0 1)" "$(ratio "$(best 0)" "$(best 2)")" "$(ratios 0 2)"
printf '  train step  elight %7.1f   torch %7.1f   elight/torch %s (%.2f)\n' \
  "$(best 3)" "$(best 4)" "$(ratio "$(best 3)" "$(best 4)")" "$(ratios 3 4)"
