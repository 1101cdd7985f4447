#!/usr/bin/python3
"""Tiny exports that exercise FoldConstants, made with Debian's torch 1.13:

  fold_op13.onnx  BatchNorm kept, do_constant_folding=False: the bias-free
                  classifier becomes Transpose(weight) -> MatMul, and the two
                  convolutions' equal (zero) biases are merged by the exporter
                  into one initializer that Identity nodes hand to each.
  input.npy, logits.npy  a seeded batch of 2 and torch's eval-mode logits.

    cd onnxio/testdata/fold && /usr/bin/python3 make_fold.py
"""
import numpy as np
import onnx
import torch
import torch.nn as nn
from torch.onnx import TrainingMode

torch.manual_seed(7)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 4 * 4, 5, bias=False)
        for conv in (self.conv1, self.conv2):
            nn.init.zeros_(conv.bias)
        for bn in (self.bn1, self.bn2):  # statistics that make folding matter
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2)
            nn.init.uniform_(bn.weight, 0.5, 1.5)
            nn.init.uniform_(bn.bias, -0.2, 0.2)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


net = Net().eval()
x = torch.randn(2, 3, 4, 4)
torch.onnx.export(net, x, "fold_op13.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                  training=TrainingMode.PRESERVE, do_constant_folding=False)
m = onnx.load("fold_op13.onnx")
onnx.checker.check_model(m, full_check=True)
ops = sorted({n.op_type for n in m.graph.node})
assert "Transpose" in ops and "Identity" in ops and "BatchNormalization" in ops, ops
np.save("input.npy", x.numpy())
with torch.no_grad():
    np.save("logits.npy", net(x).numpy())
print(ops)
