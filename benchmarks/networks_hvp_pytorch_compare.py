#!/usr/bin/python3
"""One PyTorch-in-Python curvature product, timed in this process: the reference beside
batchrmt's operator and its raw-LibTorch control (benchmarks/networks_hvp_bench.cpp). The
harness benchmarks/idle_harness.py runs one case per process, so no case runs after another.

    /usr/bin/python3 benchmarks/networks_hvp_pytorch_compare.py --case lenet:hvp_reuse \
        [--dtype float32] [--threads 1] [--min-time 1.0]

Prints one JSON object: {"wall": s, "cpu": s, "calls": n} (medians per call after one warm-up).

Cases (eval mode, mean cross-entropy, random inputs: lenet on 1x28x28 with batch 128, vgg16bn on
3x32x32 with batch 32; docs/theory.md 5.2):
    gradient   loss = CE(f(x), y); autograd.grad(loss, params)
    hvp_fresh  g = autograd.grad(loss, params, create_graph=True); autograd.grad(g, params, v)
    hvp_reuse  g built once; autograd.grad(g, params, v, retain_graph=True)
    ggn_reuse  J^T u built once with u = 0 requiring grad; Jv = autograd.grad(J^T u, u, v);
               autograd.grad(f, params, (diag p - p p^T) Jv / n)  (the operator's GGN, docs/theory.md 5.2)
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from networks_pytorch_compare import LeNet, vgg16  # noqa: E402  (the same architectures)

MODELS = {"lenet": (lambda: LeNet(1, 28, 10), (1, 28, 28), 10, 128),
          "vgg16bn": (lambda: vgg16(True, 100), (3, 32, 32), 100, 32)}


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def time_calls(fn, min_time, min_calls=3):
    """Median wall and process-CPU time per call, after one warm-up call."""
    fn()
    walls, cpus, start = [], [], time.perf_counter()
    while len(walls) < min_calls or time.perf_counter() - start < min_time:
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return {"wall": median(walls), "cpu": median(cpus), "calls": len(walls)}


def make_case(model_name, op, dtype):
    build, shape, classes, batch = MODELS[model_name]
    torch.manual_seed(0)
    model = build().to(dtype)
    model.eval()
    params = list(model.parameters())
    x = torch.randn(batch, *shape, dtype=dtype)
    y = torch.randint(0, classes, (batch,))
    # A unit vector split into the parameter shapes, as the operator's benchmark uses.
    flat = torch.randn(sum(p.numel() for p in params), dtype=torch.float64)
    flat = (flat / flat.norm()).to(dtype)
    v, off = [], 0
    for p in params:
        v.append(flat[off:off + p.numel()].view_as(p))
        off += p.numel()

    if op == "gradient":
        return lambda: torch.autograd.grad(F.cross_entropy(model(x), y), params)
    if op == "hvp_fresh":
        def hvp_fresh():
            g = torch.autograd.grad(F.cross_entropy(model(x), y), params, create_graph=True)
            return torch.autograd.grad(g, params, v)
        return hvp_fresh
    if op == "hvp_reuse":
        g_kept = torch.autograd.grad(F.cross_entropy(model(x), y), params, create_graph=True)
        return lambda: torch.autograd.grad(g_kept, params, v, retain_graph=True)
    if op == "ggn_reuse":
        logits = model(x)
        u = torch.zeros_like(logits, requires_grad=True)
        jtu = torch.autograd.grad(logits, params, u, create_graph=True)
        probs = torch.softmax(logits.detach(), 1)

        def ggn():
            jv = torch.autograd.grad(jtu, u, v, retain_graph=True)[0]
            pj = probs * jv
            return torch.autograd.grad(logits, params, (pj - probs * pj.sum(1, keepdim=True)) / batch,
                                       retain_graph=True)
        return ggn
    raise SystemExit(f"--case op is '{op}', but must be gradient, hvp_fresh, hvp_reuse or ggn_reuse.")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", required=True, help="MODEL:OP, e.g. lenet:hvp_reuse")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds of timed calls (at least 3 calls)")
    a = ap.parse_args()
    model_name, _, op = a.case.partition(":")
    if model_name not in MODELS:
        ap.error(f"--case model is '{model_name}', but must be lenet or vgg16bn.")
    torch.set_num_threads(a.threads)
    fn = make_case(model_name, op, torch.float64 if a.dtype == "float64" else torch.float32)
    r = time_calls(fn, a.min_time)
    r.update({"case": a.case, "dtype": a.dtype, "threads": a.threads, "torch": torch.__version__})
    print(json.dumps(r))


if __name__ == "__main__":
    main()
