#!/usr/bin/python3
"""Time PyTorch on the work elight's step benchmarks time.

    /usr/bin/python3 finetune/network/bench/torch_step.py [--model vgg8] [--batch 32]
        [--seconds 5] [--threads 2] [--steps plain,elight] [--export OUT.onnx] [--count N]

Two networks, each with its BatchNorms folded into the Conv before them, as
elight trains them (the folded-away BatchNorms stay as Identity modules,
which cost nothing):

  vgg8      testdata/make_testdata.py's VGG8, [batch, 3, 32, 32], as in
            testdata/vgg8/vgg8_bnfold_op13.onnx
  resnet18  torchvision's ResNet-18 (1000 classes), [batch, 3, 224, 224]

Figures, in images per second, one line apiece:

  forward       eval mode under torch.no_grad(), as BenchmarkForwardVGG8
  train step    forward, mean cross-entropy against fixed labels (image i
                has class i mod 10), backward and a plain SGD update, as
                BenchmarkTrainStepVGG8 (--steps plain)
  elight step   the ELight-style fine-tuning step (--steps elight): every
                Conv/Linear weight through the log quantizer of 4-bit PCM
                levels (pcm_loss 0.128, one scale per tensor) with
                straight-through rounding, cross-entropy plus the l2 meanR
                write loss on the pos and neg level arrays of 64 x 64 blocks
                (ELight's reference), autograd and Adam, as
                BenchmarkTrainerStepVGG8/l2

--export writes the folded network as ONNX (opset 13, fixed batch) for
elight to time the same graph. --count N runs N elight steps and prints
nothing else: compare.sh wraps it in GNU time for the peak memory of a
fine-tuning run. Weights are torch's default initialization (seed 1); the
timing does not depend on them. Run with Debian's python (torch 1.13).
"""

import argparse
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.nn.utils.fusion import fuse_conv_bn_eval

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../testdata"))
import make_testdata  # noqa: E402  (testdata/make_testdata.py defines the models)

BITS, PCM_LOSS, BLOCK = 4, 0.128, 64


def vgg8_folded():
    """testdata/make_testdata.py's VGG8 with every BatchNorm folded into the
    Conv before it, as the exporter does for the _bnfold files."""
    model = make_testdata.VGG8().eval()
    layers = list(model.features)
    for i, layer in enumerate(layers):
        if isinstance(layer, nn.BatchNorm2d):
            layers[i - 1] = fuse_conv_bn_eval(layers[i - 1], layer)
            layers[i] = nn.Identity()
    model.features = nn.Sequential(*layers)
    return model


def resnet18_folded():
    """torchvision's ResNet-18 with each BatchNorm folded into its Conv: the
    stem's bn1, and bn1, bn2 and the downsample's in every basic block."""
    model = torchvision.models.resnet18().eval()
    model.conv1, model.bn1 = fuse_conv_bn_eval(model.conv1, model.bn1), nn.Identity()
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in stage:
            block.conv1, block.bn1 = fuse_conv_bn_eval(block.conv1, block.bn1), nn.Identity()
            block.conv2, block.bn2 = fuse_conv_bn_eval(block.conv2, block.bn2), nn.Identity()
            if block.downsample is not None:
                conv, bn = block.downsample
                block.downsample = nn.Sequential(fuse_conv_bn_eval(conv, bn), nn.Identity())
    return model


MODELS = {"vgg8": (vgg8_folded, 32), "resnet18": (resnet18_folded, 224)}


def levels(w):
    """The method's section 2 in torch: the dequantized weight q(w) with a
    straight-through gradient, and the magnitude level v / (L-1), rounded
    in the forward pass, continuous in the backward one."""
    beta, top = 1 - PCM_LOSS, 2 ** BITS - 1
    ref = beta ** top
    s = 1 - ref
    alpha = w.detach().abs().max()
    y = w.abs() / alpha * s + ref
    cont = torch.log(y) / math.log(beta)
    lo, hi = cont.detach().floor().clamp(0, top), cont.detach().ceil().clamp(0, top)
    level = torch.where((beta ** lo - y).abs() <= (beta ** hi - y).abs(), lo, hi)
    q = torch.sign(w) * alpha * (beta ** level - ref) / s
    wq = w + (q - w).detach()
    v = (top - cont) / top
    v = v + ((top - level) / top - v).detach()
    return wq, v


def blocks(m):
    """m [rows, cols], zero-padded to multiples of BLOCK, as [p, q, K, K]."""
    rows, cols = m.shape
    m = F.pad(m, (0, -cols % BLOCK, 0, -rows % BLOCK))
    p, q = m.shape[0] // BLOCK, m.shape[1] // BLOCK
    return m.reshape(p, BLOCK, q, BLOCK).permute(0, 2, 1, 3)


def l2_meanr(w, v):
    """ELight's l2 loss against the mean block of each row (meanR), on the
    pos and neg arrays side by side; the reference is detached."""
    total = 0
    for side in (torch.where(w >= 0, v, torch.zeros_like(v)), torch.where(w < 0, v, torch.zeros_like(v))):
        b = blocks(side.reshape(side.shape[0], -1))
        total = total + ((b - b.mean(dim=1, keepdim=True).detach()) ** 2).mean()
    return total / 2


class Quantized:
    """Runs the model with every Conv/Linear weight replaced by q(w) and
    returns the write loss over all of them."""

    def __init__(self, model):
        self.model = model
        self.layers = [mod for mod in model.modules() if isinstance(mod, (nn.Conv2d, nn.Linear))]

    def __call__(self, x):
        saved, loss = [], 0
        for mod in self.layers:
            w = mod.weight
            wq, v = levels(w)
            loss = loss + l2_meanr(w, v)
            saved.append(w)
            del mod.weight
            mod.weight = wq  # a plain tensor attribute for this forward pass
        try:
            out = self.model(x)
        finally:
            for mod, w in zip(self.layers, saved):
                del mod.weight
                mod.weight = w
        return out, loss


def timed(step, batch, seconds):
    """Run step once to warm up, then for at least seconds; images/s."""
    step()
    runs, start = 0, time.perf_counter()
    while True:
        step()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return runs, elapsed, runs * batch / elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="vgg8")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", default="plain", help="comma-separated: plain, elight")
    ap.add_argument("--export", help="write the folded network as ONNX here and exit")
    ap.add_argument("--count", type=int, default=0, help="run this many elight steps, print nothing, exit")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    build, size = MODELS[args.model]
    model = build()
    x = torch.rand(args.batch, 3, size, size) - 0.5
    if args.export:
        torch.onnx.export(model, x, args.export, opset_version=13, input_names=["input"], output_names=["logits"])
        return
    labels = torch.arange(args.batch) % 10
    sgd = torch.optim.SGD(model.parameters(), lr=1e-3)
    adam = torch.optim.Adam(model.parameters(), lr=1e-4)
    quantized = Quantized(model)

    def forward():
        with torch.no_grad():
            model(x)

    def train_step():
        sgd.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), labels).backward()
        sgd.step()

    def elight_step():
        adam.zero_grad(set_to_none=True)
        logits, write_loss = quantized(x)
        (F.cross_entropy(logits, labels) + write_loss).backward()
        adam.step()

    model.train()
    if args.count:
        for _ in range(args.count):
            elight_step()
        return
    name = f"torch {torch.__version__} {args.model} batch {args.batch}, {args.threads} threads"
    model.eval()
    runs, elapsed, rate = timed(forward, args.batch, args.seconds)
    print(f"{name} forward: {runs} runs in {elapsed:.2f} s, {rate:.1f} images/s", flush=True)
    model.train()
    for kind in args.steps.split(","):
        step = {"plain": (train_step, "train step"), "elight": (elight_step, "elight step")}[kind]
        runs, elapsed, rate = timed(step[0], args.batch, args.seconds)
        print(f"{name} {step[1]}: {runs} runs in {elapsed:.2f} s, {rate:.1f} images/s", flush=True)


if __name__ == "__main__":
    main()
