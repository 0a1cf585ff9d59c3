#!/usr/bin/python3
"""Side-by-side training throughput: batchrmt (LibTorch C++) vs PyTorch, same model, batch,
threads and step (zero_grad, forward, mean cross-entropy, backward, SGD momentum 0.9, weight
decay 5e-4) on random inputs, in the same run.

Run with Debian's interpreter, which has python3-torch:

    /usr/bin/python3 benchmarks/networks_pytorch_compare.py --bench build/release/benchmarks/networks_train_bench

Prints a Markdown table (time per step, images/s, ratio = batchrmt time / PyTorch time; the
goal is ratio <= 1.0) and writes it with the machine and date to --out (JSON). With --case MODEL
it times the PyTorch side of one model only and prints one JSON line (wall and CPU seconds per
step): benchmarks/idle_harness.py runs each side in its own process that way. With --count it
prints the parameter counts of the PyTorch definitions below, which are the same architectures
as networks/models.cpp (used to derive the counts asserted in tests/networks/models_test.cpp).
"""
import argparse
import datetime
import json
import os
import platform
import socket
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------- the same architectures

class LeNet(nn.Module):
    def __init__(self, channels=1, side=28, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        h = (side // 2 - 4) // 2
        self.fc1 = nn.Linear(16 * h * h, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def vgg16(bn, classes, head="linear"):
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers.append(nn.Conv2d(c, v, 3, padding=1))
            if bn:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU())
            c = v
    features = nn.Sequential(*layers)
    if head == "linear":
        classifier = nn.Sequential(nn.Linear(512, classes))
    else:
        classifier = nn.Sequential(nn.Dropout(), nn.Linear(512, 512), nn.ReLU(), nn.Dropout(),
                                   nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, classes))

    class VGG(nn.Module):
        def __init__(self):
            super().__init__()
            self.features, self.classifier = features, classifier

        def forward(self, x):
            return self.classifier(self.features(x).flatten(1))
    return VGG()


class WideBasic(nn.Module):
    def __init__(self, i, o, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(i)
        self.conv1 = nn.Conv2d(i, o, 3, padding=1, bias=True)
        self.bn2 = nn.BatchNorm2d(o)
        self.conv2 = nn.Conv2d(o, o, 3, stride=stride, padding=1, bias=True)
        self.shortcut = nn.Conv2d(i, o, 1, stride=stride, bias=True) if (stride != 1 or i != o) else None

    def forward(self, x):
        out = self.conv2(F.relu(self.bn2(self.conv1(F.relu(self.bn1(x))))))
        return out + (self.shortcut(x) if self.shortcut is not None else x)


class WideResNet(nn.Module):
    def __init__(self, depth=28, k=10, classes=100):
        super().__init__()
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=True)
        blocks, i = [], 16
        for planes, stride in ((16 * k, 1), (32 * k, 2), (64 * k, 2)):
            for b in range(n):
                blocks.append(WideBasic(i, planes, stride if b == 0 else 1))
                i = planes
        self.blocks = nn.Sequential(*blocks)
        self.bn1 = nn.BatchNorm2d(i, momentum=0.9)
        self.linear = nn.Linear(i, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.blocks(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


def preresnet_count(depth, classes, block):
    """Parameter count of a CIFAR pre-activation ResNet built as networks/models.cpp builds it."""
    def bn(c):
        return 2 * c
    def conv(i, o, k):
        return i * o * k * k
    total, inp = conv(3, 16, 3), 16
    n, e = ((depth - 2) // 6, 1) if block == "basic" else ((depth - 2) // 9, 4)
    for planes, stride in ((16, 1), (32, 2), (64, 2)):
        for b in range(n):
            st = stride if b == 0 else 1
            if block == "basic":
                total += bn(inp) + conv(inp, planes, 3) + bn(planes) + conv(planes, planes, 3)
            else:
                total += (bn(inp) + conv(inp, planes, 1) + bn(planes) + conv(planes, planes, 3) + bn(planes)
                          + conv(planes, planes * 4, 1))
            if st != 1 or inp != planes * e:
                total += conv(inp, planes * e, 1)
            inp = planes * e
    return total + bn(inp) + inp * classes + classes


def count(m):
    return sum(p.numel() for p in m.parameters())


def print_counts():
    print("lenet 1x28x28/10", count(LeNet()))
    print("vgg16 cifar100", count(vgg16(False, 100)))
    print("vgg16bn cifar100", count(vgg16(True, 100)))
    print("vgg16bn cifar100 swag head", count(vgg16(True, 100, "swag")))
    print("wrn-28-10 cifar100", count(WideResNet(28, 10, 100)))
    print("preresnet-110 basic cifar100", preresnet_count(110, 100, "basic"))
    print("preresnet-110 bottleneck cifar100", preresnet_count(110, 100, "bottleneck"))
    print("preresnet-164 bottleneck cifar100", preresnet_count(164, 100, "bottleneck"))


# ----------------------------------------------------------------- timing

def pytorch_step_time(model, shape, classes, batch, min_time):
    torch.manual_seed(1)
    x = torch.rand(batch, *shape)
    y = torch.randint(0, classes, (batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    model.train()

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    for _ in range(2):  # warm-up
        step()
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        step()
        n += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time and n >= 3:
            return elapsed / n, (time.process_time() - c0) / n


def cpp_step_times(bench, threads, filt):
    env = dict(os.environ, BATCHRMT_BENCH_THREADS=str(threads))
    out = subprocess.run([bench, "--benchmark_format=json", "--benchmark_filter=" + filt],
                         env=env, check=True, capture_output=True, text=True).stdout
    times = {}
    for b in json.loads(out)["benchmarks"]:
        unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b["time_unit"]]
        key = b["name"].split("/min_time")[0].split("/process_time")[0].split("/real_time")[0]
        times[key] = (b["real_time"] * unit, b["cpu_time"] * unit)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", help="path of the built networks_train_bench")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=3.0)
    ap.add_argument("--repeats", type=int, default=1, help="alternating repetitions per model")
    ap.add_argument("--out", default="", help="write the results as JSON here")
    ap.add_argument("--count", action="store_true", help="print parameter counts and exit")
    ap.add_argument("--case", choices=["lenet", "vgg16bn"], help="time the PyTorch step of this model only (JSON line)")
    args = ap.parse_args()
    if args.count:
        print_counts()
        return 0
    torch.set_num_threads(args.threads)
    cases = [("lenet", "BM_LenetStep/128", LeNet(), (1, 28, 28), 10, 128),
             ("vgg16bn", "BM_Vgg16bnStep/32", vgg16(True, 100), (3, 32, 32), 100, 32)]
    if args.case:
        _, _, model, shape, classes, batch = next(c for c in cases if c[0] == args.case)
        wall, cpu = pytorch_step_time(model, shape, classes, batch, args.min_time)
        print(json.dumps({"case": args.case, "batch": batch, "threads": args.threads, "wall": wall, "cpu": cpu}))
        return 0
    if not args.bench:
        ap.error("--bench is required (or --case, or --count)")
    rows = []
    for rep in range(args.repeats):
        # Alternate the two sides per model so that a change in machine load hits both.
        for name, key, model, shape, classes, batch in cases:
            c, c_cpu = cpp_step_times(args.bench, args.threads, "^" + key.split("/")[0] + "/")[key]
            py, py_cpu = pytorch_step_time(model, shape, classes, batch, args.min_time)
            rows.append({"repeat": rep, "model": name, "batch": batch, "threads": args.threads,
                         "batchrmt_s_per_step": c, "pytorch_s_per_step": py,
                         "batchrmt_cpu_s_per_step": c_cpu, "pytorch_cpu_s_per_step": py_cpu,
                         "batchrmt_images_per_s": batch / c, "pytorch_images_per_s": batch / py,
                         "ratio": c / py, "cpu_ratio": c_cpu / py_cpu, "loadavg": os.getloadavg()[0]})
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "host": socket.gethostname(), "machine": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "pytorch": torch.__version__, "loadavg_before": os.getloadavg(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(default)")}
    print(f"# networks training throughput, {meta['date']}, {meta['host']}, {meta['cpus']} CPUs, "
          f"PyTorch {meta['pytorch']}, OMP_WAIT_POLICY={meta['omp_wait_policy']}")
    print("| model | batch | threads | batchrmt ms/step | PyTorch ms/step | batchrmt img/s | PyTorch img/s "
          "| ratio (wall) | ratio (CPU time) | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['batch']} | {r['threads']} | {1e3 * r['batchrmt_s_per_step']:.1f} | "
              f"{1e3 * r['pytorch_s_per_step']:.1f} | {r['batchrmt_images_per_s']:.0f} | "
              f"{r['pytorch_images_per_s']:.0f} | {r['ratio']:.3f} | {r['cpu_ratio']:.3f} | {r['loadavg']:.1f} |")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
