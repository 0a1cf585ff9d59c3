#!/usr/bin/python3
"""Writes the TorchScript modules that batchrmt's tests load (tests/networks/torchscript_test.cpp).

Run with Debian's python3-torch, whose PyTorch version matches the LibTorch batchrmt links
(1.13 on Debian 12; README.md, "Your own model"):

    /usr/bin/python3 scripts/export_torchscript_examples.py OUT_DIR [--lenet-weights FILE]
    /usr/bin/python3 scripts/export_torchscript_examples.py OUT_DIR --lenet-checkpoint EPOCH.pt

OUT_DIR receives, for 1 x 28 x 28 inputs and 10 classes:
  lenet.pt         batchrmt's built-in `lenet` architecture, scripted; with --lenet-weights, its
                   parameters are the float64 values of FILE (raw little-endian, in named_parameters()
                   order: the flattening order of docs/theory.md 5.2), e.g. a batchrmt lenet's;
                   with --lenet-checkpoint, the weights of a batchrmt lenet checkpoint
                   (epoch-NNNNNN.pt of `batchrmt train` or of the default job's RUN.work/), so
                   that the export is the trained network (docs/advise.md's worked example);
  bn_mlp.pt        an MLP with BatchNorm1d, scripted and saved in train mode with running statistics
                   that differ from any batch's;
  residual_mlp.pt  a residual tanh MLP on 4 x 4 average-pooled inputs with a learnable skip scale
                   and a frozen (requires_grad=False) input scale, traced;
  wrong_shape.pt   a module with 5 outputs instead of 10, scripted.
"""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))
from networks_pytorch_compare import LeNet  # noqa: E402  the architecture of networks/models.cpp's lenet


class BatchNormMlp(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 32)
        self.bn = nn.BatchNorm1d(32)
        self.fc2 = nn.Linear(32, classes)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x.flatten(1)))))


class ResidualMlp(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.input_scale = nn.Parameter(torch.tensor(2.0), requires_grad=False)
        self.inp = nn.Linear(16, 8)
        self.block = nn.Linear(8, 8)
        self.skip = nn.Parameter(torch.tensor(0.5))
        self.out = nn.Linear(8, classes)

    def forward(self, x):
        h = torch.tanh(self.inp(self.input_scale * F.avg_pool2d(x, 7).flatten(1)))
        h = self.skip * h + torch.tanh(self.block(h))
        return self.out(h)


class WrongShape(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(28 * 28, 5)

    def forward(self, x):
        return self.fc(x.flatten(1))


def load_flat(model, path):
    flat = torch.frombuffer(bytearray(open(path, "rb").read()), dtype=torch.float64)
    count = sum(p.numel() for p in model.parameters())
    if flat.numel() != count:
        raise SystemExit(f"{path} holds {flat.numel()} values, but the lenet has {count} parameters")
    offset = 0
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(flat[offset:offset + p.numel()].view_as(p))
            offset += p.numel()


def load_checkpoint(model, path):
    """The model.* parameters of a batchrmt checkpoint (an archive torch.jit.load reads)."""
    archive = torch.jit.load(path, map_location="cpu")
    state = {name[len("model."):]: p for name, p in archive.named_parameters() if name.startswith("model.")}
    missing = set(n for n, _ in model.named_parameters()) - set(state)
    if missing:
        raise SystemExit(f"{path} is not a checkpoint of batchrmt's lenet: it lacks {sorted(missing)}")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if state[name].shape != p.shape:
                raise SystemExit(f"{path}: {name} has shape {tuple(state[name].shape)}, but the lenet's is {tuple(p.shape)}")
            p.copy_(state[name])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--lenet-weights", help="float64 flat parameters of the lenet (raw little-endian)")
    ap.add_argument("--lenet-checkpoint", help="a batchrmt lenet checkpoint (epoch-NNNNNN.pt) whose weights lenet.pt takes")
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    torch.manual_seed(0)

    lenet = LeNet()
    if a.lenet_weights:
        load_flat(lenet, a.lenet_weights)
    if a.lenet_checkpoint:
        load_checkpoint(lenet, a.lenet_checkpoint)
    torch.jit.script(lenet.eval()).save(os.path.join(a.out_dir, "lenet.pt"))

    bn = BatchNormMlp()
    with torch.no_grad():
        for _ in range(3):
            bn(torch.randn(64, 1, 28, 28) * 3 + 1)  # running statistics unlike a synthetic batch's
    torch.jit.script(bn.train()).save(os.path.join(a.out_dir, "bn_mlp.pt"))

    residual = ResidualMlp().eval()
    torch.jit.trace(residual, torch.randn(2, 1, 28, 28)).save(os.path.join(a.out_dir, "residual_mlp.pt"))

    torch.jit.script(WrongShape()).save(os.path.join(a.out_dir, "wrong_shape.pt"))
    print(f"wrote lenet.pt, bn_mlp.pt, residual_mlp.pt and wrong_shape.pt to {a.out_dir} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
