#!/usr/bin/python3
"""Expected numbers for elight's quantize and reorder packages, computed the
way the ELight reference code (github.com/zhuhanqing/ELight) computes them.

Run from the repository root with Debian's python (torch, numpy, onnx):

    /usr/bin/python3 reorder/testdata/reference_numbers.py

It reads the BN-folded opset-13 exports of the test models, takes every Conv
and Gemm weight as the matrix a photonic core computes with, and for each
(bits, block) setting writes per layer:

  - the signed levels c = pos - neg: their histogram and the sha256 of their
    bytes (int8, row-major [rows, cols]);
  - writes and max cell writes with no reordering and with the reference's
    per-cell ascending sort;
  - the consistent energy and latency (the README's method, section 3) of both, and the
    writes of the per-cell optimum;
  - for comparison, the energy and latency figures of the reference's own
    analyze_wt, defects included.

Everything here re-expresses the reference's ops/utils.py
(weight_to_quantized_weight_cpu: efficient_power_quant_cpu and
assign_array_value_cpu) and reorder.py (model_analyzer.analyze_wt and
reorder) in torch/numpy, with two differences the README's method prescribes for
pretrained imports: no tanh before quantizing, and float64 arithmetic.
The output is reorder/testdata/reference_numbers.json; reorder's
TestReferenceNumbers checks the Go code against it.
"""

import hashlib
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

PCM_LOSS = 0.128
SETTINGS = [(4, 64), (4, 32), (3, 64), (3, 32)]  # (bits, block)
MODELS = ["testdata/resnet/resnet_bnfold_op13.onnx", "testdata/vgg8/vgg8_bnfold_op13.onnx"]
OUT = "reorder/testdata/reference_numbers.json"

# The reference's device constants (analyze_wt): a level step up (larger
# magnitude) takes 0.5 us and 9 energy units, a step down 20 us and 40.
T_UP, T_DOWN, E_UP, E_DOWN = 0.5, 20.0, 9.0, 40.0


def photonic_layers(model):
    """(node name, weight name, [rows, cols] float32 matrix) for every Conv
    (group 1) and Gemm with a constant weight, in node order."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type not in ("Conv", "Gemm") or len(node.input) < 2:
            continue
        w = inits.get(node.input[1])
        if w is None or w.dtype != np.float32:
            continue
        attrs = {a.name: a for a in node.attribute}
        if node.op_type == "Conv":
            if "group" in attrs and attrs["group"].i != 1:
                continue
            m = w.reshape(w.shape[0], -1)  # PyTorch's im2col order
        else:
            trans_b = attrs["transB"].i if "transB" in attrs else 0
            m = w if trans_b else w.T  # the core computes y = M x, M [out, in]
        yield node.name, node.input[1], np.array(m, order="C")  # a writable copy


def signed_levels(m, bits):
    """The reference's log quantization (efficient_power_quant_cpu) of the
    whole tensor at one scale, as signed levels c = pos - neg."""
    base = 1 - PCM_LOSS
    top = 2**bits - 1
    w = torch.from_numpy(m).double()
    alpha = w.abs().max()
    if alpha == 0:
        return torch.zeros(w.shape, dtype=torch.int64)
    x = w.abs() / alpha
    ref = base**top  # the darkest level's transmission
    scale = 1 - ref
    y = x * scale + ref
    t = torch.log(y) / np.log(base)
    lo = torch.clamp(torch.floor(t), 0, top)
    hi = torch.clamp(torch.ceil(t), 0, top)
    # The reference stacks both bounds and takes min(dim=-1)[1], the first
    # index on a tie: ties go to lo.
    dist_lo = (y - base**lo).abs()
    dist_hi = (y - base**hi).abs()
    level = torch.where(dist_lo <= dist_hi, lo, hi)
    # assign_array_value_cpu: magnitude top - level on the array of the
    # weight's sign (a negative weight at level 0 is the "negative zero"
    # case and lands on the negative array too).
    v = (top - level).long()
    return torch.where(w < 0, -v, v)


def blocks(c, k):
    """Zero-pad [rows, cols] to multiples of k and cut into [p, q, k, k]."""
    rows, cols = c.shape
    p, q = -(-rows // k), -(-cols // k)
    padded = torch.zeros((p * k, q * k), dtype=torch.int64)
    padded[:rows, :cols] = c
    return padded.reshape(p, k, q, k).permute(0, 2, 1, 3).contiguous()


def diffs(levels):
    """Per-step changes along q from the cleared state (analyze_wt's
    levels - levels_ref with a zero block before each row)."""
    p, q, k, _ = levels.shape
    prev = torch.cat([torch.zeros((p, 1, k, k), dtype=levels.dtype), levels[:, :-1]], dim=1)
    return levels - prev


def account(levels):
    """Writes, max cell writes, and the consistent energy and latency."""
    d = diffs(levels)
    per_cell = d.abs().sum(dim=1)  # [p, k, k]
    pos, neg = levels.clamp(min=0), (-levels).clamp(min=0)
    dpos, dneg = diffs(pos), diffs(neg)
    up = dpos.clamp(min=0) + dneg.clamp(min=0)
    down = (-dpos).clamp(min=0) + (-dneg).clamp(min=0)
    # One array moves one way within a step; the arrays, cells and cores
    # are programmed in parallel and a cell moving n levels takes n steps.
    # double: an int64 tensor times a Python float would be float32.
    dpos, dneg = dpos.double(), dneg.double()
    t_pos = dpos.clamp(min=0) * T_UP + (-dpos).clamp(min=0) * T_DOWN
    t_neg = dneg.clamp(min=0) * T_UP + (-dneg).clamp(min=0) * T_DOWN
    step = torch.maximum(t_pos, t_neg).amax(dim=(0, 2, 3))  # [q]
    return {
        "writes": int(per_cell.sum()),
        "max_cell_writes": int(per_cell.max()),
        "up": int(up.sum()),
        "down": int(down.sum()),
        "energy": E_UP * int(up.sum()) + E_DOWN * int(down.sum()),
        "latency_us": float(step.sum()),
    }


def reference_code_figures(levels):
    """Energy and latency as reorder.py's analyze_wt computes them, defects
    included: its negative array holds -neg, one branch uses the positive
    array's difference, and the negative array's energy costs are swapped."""
    pos = levels.clamp(min=0).double()
    neg = -((-levels).clamp(min=0)).double()
    dp, dn = diffs(pos), diffs(neg)
    lat_p = torch.where(dp > 0, dp * T_UP, torch.where(dp < 0, dp * T_DOWN, dp))
    lat_n = torch.where(dn > 0, dp * T_DOWN, torch.where(dn < 0, dn * T_UP, dn))
    e_p = torch.where(dp > 0, dp * E_UP, torch.where(dp < 0, dp * E_DOWN, dp))
    e_n = torch.where(dn > 0, dp * E_UP, torch.where(dn < 0, dn * E_DOWN, dn))
    cell_time = torch.where(lat_p.abs() > lat_n.abs(), lat_p.abs(), lat_n.abs())
    p, q = levels.shape[:2]
    step = cell_time.reshape(p, q, -1).amax(dim=2).amax(dim=0)
    return {"energy": float((e_p.abs() + e_n.abs()).sum()), "latency_us": float(step.sum())}


def cell_optimum(levels):
    """Writes of the per-cell optimum: from 0, visit the side of zero with
    the smaller extreme first."""
    lo = levels.amin(dim=1).clamp(max=0).abs()
    hi = levels.amax(dim=1).clamp(min=0)
    per_cell = torch.minimum(2 * lo + hi, 2 * hi + lo)
    return {"writes": int(per_cell.sum()), "max_cell_writes": int(per_cell.max())}


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    out = {
        "generator": "reorder/testdata/reference_numbers.py",
        "pcm_loss": PCM_LOSS,
        "profile": {"t_up_us": T_UP, "t_down_us": T_DOWN, "e_up": E_UP, "e_down": E_DOWN},
        "models": [],
    }
    for path in MODELS:
        if not os.path.exists(path):
            print(f"{path}: missing, skipped", file=sys.stderr)
            continue
        model = onnx.load(path)
        layers = list(photonic_layers(model))
        for bits, k in SETTINGS:
            entry = {"file": path, "sha256": sha256_file(path), "bits": bits, "block": k, "layers": []}
            for node, weight, m in layers:
                c = signed_levels(m, bits)
                top = 2**bits - 1
                hist = torch.bincount((c + top).flatten(), minlength=2 * top + 1)
                lv = blocks(c, k)
                entry["layers"].append({
                    "node": node,
                    "weight": weight,
                    "rows": m.shape[0],
                    "cols": m.shape[1],
                    "levels_sha256": hashlib.sha256(c.numpy().astype(np.int8).tobytes()).hexdigest(),
                    "histogram": hist.tolist(),
                    "none": account(lv),
                    # reorder.py's reorder: torch.sort along the q blocks of
                    # each cell, ascending.
                    "sort": account(torch.sort(lv, dim=1).values),
                    "cell": cell_optimum(lv),
                    "reference_code_none": reference_code_figures(lv),
                })
            out["models"].append(entry)
            tw = sum(l["none"]["writes"] for l in entry["layers"])
            ts = sum(l["sort"]["writes"] for l in entry["layers"])
            print(f"{path} bits {bits} block {k}: writes none {tw}, sort {ts}", file=sys.stderr)
    write(out)


def write(out):
    """Writes out as JSON with one layer per line, so that diffs of the
    committed file show which layers changed."""
    with open(OUT, "w") as f:
        f.write("{\n")
        for key in ("generator", "pcm_loss", "profile"):
            f.write(f" {json.dumps(key)}: {json.dumps(out[key])},\n")
        f.write(' "models": [\n')
        for i, entry in enumerate(out["models"]):
            head = {key: entry[key] for key in ("file", "sha256", "bits", "block")}
            f.write("  " + json.dumps(head)[:-1] + ', "layers": [\n')
            lines = ["   " + json.dumps(layer) for layer in entry["layers"]]
            f.write(",\n".join(lines) + "\n  ]}" + ("," if i + 1 < len(out["models"]) else "") + "\n")
        f.write(" ]\n}\n")


if __name__ == "__main__":
    main()
