#!/usr/bin/python3
"""Time PyTorch on the VGG8 work elight's VGG8 benchmarks time.

    /usr/bin/python3 finetune/network/bench/torch_step.py [--batch 32] [--seconds 5] [--threads 2]

The network is testdata/make_testdata.py's VGG8 with BatchNorm folded, as in
testdata/vgg8/vgg8_bnfold_op13.onnx: (Conv3x3 with bias + ReLU + MaxPool2x2)
x 5 and Linear 512 -> 10, on [batch, 3, 32, 32] inputs. Two figures, each in
images per second, on one line apiece:

  forward     eval mode under torch.no_grad(), as BenchmarkForwardVGG8
  train step  forward, mean cross-entropy against fixed labels (image i has
              class i mod 10), backward and a plain SGD update, as
              BenchmarkTrainStepVGG8

Weights are torch's default initialization; the timing does not depend on
them. Run with Debian's python (torch 1.13).
"""

import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VGG8_CFG = [64, "M", 128, "M", 256, "M", 512, "M", 512, "M"]


class VGG8Folded(nn.Module):
    """VGG8 with every BatchNorm folded into the Conv before it."""

    def __init__(self, num_classes=10):
        super().__init__()
        layers, c = [], 3
        for v in VGG8_CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1, bias=True), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


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
    model = VGG8Folded()
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
