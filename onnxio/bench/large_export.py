#!/usr/bin/python3
"""Export a torchvision VGG16 whose classifier has 110,000 classes (596M weights, 2.4 GB of
float32): over protobuf's 2 GB limit, so torch writes its weights as ONNX external data, one
file per tensor beside the model. For elight's large-model check (onnxio/bench/RESULTS.md).
Seeded random weights, opset 11 with constant folding. Run with Debian's python (torch 1.13):

    /usr/bin/python3 onnxio/bench/large_export.py OUT_DIR

writes OUT_DIR/vgg16_wide_fold11.onnx and its data files (OUT_DIR should hold nothing else).
"""

import os
import sys

import numpy as np
import torch
import torchvision

torch.set_num_threads(2)


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)
    model = torchvision.models.vgg16(weights=None, num_classes=110000).eval()
    x = torch.from_numpy(np.random.RandomState(3).randn(1, 3, 224, 224).astype(np.float32))
    path = os.path.join(out, "vgg16_wide_fold11.onnx")
    torch.onnx.export(model, x, path, input_names=["input"], output_names=["logits"],
                      opset_version=11, do_constant_folding=True)
    print(path, sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
