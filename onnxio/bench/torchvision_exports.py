#!/usr/bin/python3
"""Export torchvision's ResNet-18, ResNet-50, VGG11-BN and VGG16 the three ways users export
them, plus a bias-free classifier exported with BatchNorm kept and no constant folding, for
elight's import checks (onnxio/bench/exports.sh). No pretrained weights reach this machine:
the weights are torchvision's seeded random initialisation, with BatchNorm statistics made
non-trivial so that folding them matters. Run with Debian's python (torch 1.13):

    /usr/bin/python3 onnxio/bench/torchvision_exports.py OUT_DIR [NAME...]

For each network it writes OUT_DIR/<name>_<mode>.onnx, mode one of
  fold11      opset 11, eval, do_constant_folding=True (BatchNorm fused by the exporter)
  nofold13    opset 13, eval, do_constant_folding=False (BatchNorm kept)
  preserve17  opset 17, training=TrainingMode.PRESERVE on the eval-mode model (BatchNorm kept)
and OUT_DIR/<name>.logits.npy with torch's logits for a fixed 224x224 input
(OUT_DIR/input.npy). resnet18_nobias_nofold13.onnx is ResNet-18 with nn.Linear(bias=False),
exported as nofold13: its classifier becomes Transpose -> MatMul.
"""

import os
import sys

import numpy as np
import torch
import torchvision
from torch.onnx import TrainingMode

torch.set_num_threads(2)
MODES = {
    "fold11": dict(opset_version=11, training=TrainingMode.EVAL, do_constant_folding=True),
    "nofold13": dict(opset_version=13, training=TrainingMode.EVAL, do_constant_folding=False),
    "preserve17": dict(opset_version=17, training=TrainingMode.PRESERVE, do_constant_folding=False),
}
NETWORKS = {
    "resnet18": torchvision.models.resnet18,
    "resnet50": torchvision.models.resnet50,
    "vgg11_bn": torchvision.models.vgg11_bn,
    "vgg16": torchvision.models.vgg16,
}


def build(name, seed=7):
    torch.manual_seed(seed)
    model = NETWORKS[name](weights=None)
    g = torch.Generator().manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return model.eval()


def export(model, path, x, mode):
    torch.onnx.export(model, x, path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **MODES[mode])


def main(argv):
    out = argv[0]
    names = argv[1:] or list(NETWORKS)
    os.makedirs(out, exist_ok=True)
    x = torch.from_numpy(np.random.RandomState(3).randn(1, 3, 224, 224).astype(np.float32))
    np.save(os.path.join(out, "input.npy"), x.numpy())
    for name in names:
        model = build(name)
        with torch.no_grad():
            np.save(os.path.join(out, f"{name}.logits.npy"), model(x).numpy())
        for mode in MODES:
            path = os.path.join(out, f"{name}_{mode}.onnx")
            export(model, path, x, mode)
            print(path, os.path.getsize(path), flush=True)
    model = build("resnet18")
    model.fc = torch.nn.Linear(512, 1000, bias=False)
    torch.manual_seed(9)
    torch.nn.init.normal_(model.fc.weight, std=0.01)
    with torch.no_grad():
        np.save(os.path.join(out, "resnet18_nobias.logits.npy"), model(x).numpy())
    export(model, os.path.join(out, "resnet18_nobias_nofold13.onnx"), x, "nofold13")


if __name__ == "__main__":
    main(sys.argv[1:])
