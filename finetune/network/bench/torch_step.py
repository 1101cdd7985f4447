#!/usr/bin/python3
"""Time PyTorch on the VGG8 work elight's VGG8 benchmarks time.

    /usr/bin/python3 finetune/network/bench/torch_step.py [--batch 32] [--seconds 5] [--threads 2]

The network is testdata/make_testdata.py's VGG8 with BatchNorm folded, as in
testdata/vgg8/vgg8_bnfold_op13.onnx: (Conv3x3 with bias + ReLU + MaxPool2x2)
x 5 and Linear 512 -> 10, on [batch, 3, 32, 32] inputs (the folded-away
BatchNorms stay as Identity modules, which cost nothing). Two figures, each in
images per second, on one line apiece:

  forward     eval mode under torch.no_grad(), as BenchmarkForwardVGG8
  train step  forward, mean cross-entropy against fixed labels (image i has
              class i mod 10), backward and a plain SGD update, as
              BenchmarkTrainStepVGG8

Weights are torch's default initialization; the timing does not depend on
them. Run with Debian's python (torch 1.13).
"""

import argparse
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.fusion import fuse_conv_bn_eval

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../testdata"))
import make_testdata  # noqa: E402  (testdata/make_testdata.py defines the models)


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
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = vgg8_folded()
    x = torch.rand(args.batch, 3, 32, 32) - 0.5
    labels = torch.arange(args.batch) % 10
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)

    def forward():
        with torch.no_grad():
            model(x)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()

    model.eval()
    name = f"torch {torch.__version__} VGG8 batch {args.batch}, {args.threads} threads"
    runs, elapsed, rate = timed(forward, args.batch, args.seconds)
    print(f"{name} forward: {runs} runs in {elapsed:.2f} s, {rate:.1f} images/s", flush=True)
    model.train()
    runs, elapsed, rate = timed(train_step, args.batch, args.seconds)
    print(f"{name} train step: {runs} runs in {elapsed:.2f} s, {rate:.1f} images/s", flush=True)


if __name__ == "__main__":
    main()
