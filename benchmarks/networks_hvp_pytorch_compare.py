#!/usr/bin/python3
"""Side-by-side Hessian-vector products: batchrmt (networks/curvature.hpp, LibTorch C++) vs
PyTorch, same model, batch, threads and dtype (float32), in the same run, on random inputs.

Run with Debian's interpreter, which has python3-torch:

    /usr/bin/python3 benchmarks/networks_hvp_pytorch_compare.py \
        --bench build/release/benchmarks/networks_hvp_bench [--threads 2] [--out hvp.json]

PyTorch side (eval mode, mean cross-entropy, double backward as THEORY.md 5.2):
    gradient   loss = CE(f(x), y); autograd.grad(loss, params)
    hvp fresh  g = autograd.grad(loss, params, create_graph=True); autograd.grad(g, params, v)
    hvp reuse  g built once; autograd.grad(g, params, v, retain_graph=True)
batchrmt does the same through its float64 operator interface (a float64 vector in, cast to
float32 and split into the parameter shapes; the product flattened and cast back to float64),
so its HVP includes two casts and a concatenation of P numbers that the PyTorch loop does not.

Prints a Markdown table: time per HVP, the ratio batchrmt/PyTorch (goal <= 1.0), HVP/gradient
(goal <= 3.0 on CPU) and the Lanczos step over the HVP time (goal <= 1.05).
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
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from networks_pytorch_compare import LeNet, vgg16  # noqa: E402  (the same architectures)


def median_time(fn, min_time, min_reps=3):
    """Median wall time and median process CPU time per call."""
    fn()  # warm-up
    walls, cpus, start = [], [], time.perf_counter()
    while len(walls) < min_reps or time.perf_counter() - start < min_time:
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    walls.sort()
    cpus.sort()
    return {"wall": walls[len(walls) // 2], "cpu": cpus[len(cpus) // 2]}


def pytorch_times(model, shape, classes, batch, min_time):
    torch.manual_seed(0)
    model.eval()
    params = [p for p in model.parameters()]
    x = torch.randn(batch, *shape)
    y = torch.randint(0, classes, (batch,))
    v = [torch.randn_like(p) for p in params]

    def grad():
        loss = F.cross_entropy(model(x), y)
        torch.autograd.grad(loss, params)

    def hvp_fresh():
        loss = F.cross_entropy(model(x), y)
        g = torch.autograd.grad(loss, params, create_graph=True)
        torch.autograd.grad(g, params, v)

    loss = F.cross_entropy(model(x), y)
    g_kept = torch.autograd.grad(loss, params, create_graph=True)

    def hvp_reuse():
        torch.autograd.grad(g_kept, params, v, retain_graph=True)

    return {"gradient": median_time(grad, min_time), "hvp_fresh": median_time(hvp_fresh, min_time),
            "hvp_reuse": median_time(hvp_reuse, min_time)}


def cpp_times(bench, threads, repetitions, raw_path, reuse):
    if reuse:
        with open(raw_path) as f:
            out = f.read()
    else:
        env = dict(os.environ, BATCHRMT_BENCH_THREADS=str(threads))
        out = subprocess.run([bench, "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
                              "--benchmark_report_aggregates_only=true"],
                             check=True, capture_output=True, text=True, env=env).stdout
        if raw_path:
            with open(raw_path, "w") as f:
                f.write(out)
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        name = b["run_name"].split("/")[0]
        unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b["time_unit"]]
        res[name] = {"wall": b["real_time"] * unit, "cpu": b["cpu_time"] * unit,
                     "step_over_hvp": b.get("step_over_hvp"),
                     "seconds_per_step": b.get("seconds_per_step")}
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path of networks_hvp_bench")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=2.0)
    ap.add_argument("--out", help="write the results as JSON here")
    ap.add_argument("--repetitions", type=int, default=3, help="Google Benchmark repetitions (median reported)")
    ap.add_argument("--cpp-json", help="keep the C++ benchmark's raw JSON here (with --reuse-cpp: read it instead)")
    ap.add_argument("--reuse-cpp", action="store_true", help="do not run the C++ benchmark; read --cpp-json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cases = [("lenet", LeNet(1, 28, 10), (1, 28, 28), 10, 128), ("vgg16bn", vgg16(True, 100), (3, 32, 32), 100, 32)]
    cpp = cpp_times(a.bench, a.threads, a.repetitions, a.cpp_json, a.reuse_cpp)
    rows = []
    for name, model, shape, classes, batch in cases:
        py = pytorch_times(model, shape, classes, batch, a.min_time)
        c = {k: cpp.get(f"BM_{k}_{name}", {}) for k in ("Gradient", "HvpFresh", "HvpReuse")}
        lz = cpp.get(f"BM_LanczosStep_{name}", {})
        lzs = cpp.get(f"BM_LanczosStepSelective_{name}", {})
        rows.append({
            "model": name, "batch": batch,
            "pytorch": py, "batchrmt": c,
            "ratio_hvp_fresh_cpu": c["HvpFresh"]["cpu"] / py["hvp_fresh"]["cpu"],
            "ratio_hvp_reuse_cpu": c["HvpReuse"]["cpu"] / py["hvp_reuse"]["cpu"],
            "batchrmt_hvp_over_gradient_cpu": c["HvpFresh"]["cpu"] / c["Gradient"]["cpu"],
            "pytorch_hvp_over_gradient_cpu": py["hvp_fresh"]["cpu"] / py["gradient"]["cpu"],
            "raw_libtorch": {k: cpp.get(f"BM_{k}_{name}", {}) for k in ("RawHvpFresh", "RawHvpReuse")},
            "lanczos_step_over_hvp": lz.get("step_over_hvp"),
            "lanczos_selective_step_over_hvp": lzs.get("step_over_hvp"),
        })
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "host": socket.gethostname(),
            "platform": platform.platform(), "cpu_count": os.cpu_count(), "threads": a.threads,
            "torch": torch.__version__, "dtype": "float32"}
    print(f"threads {a.threads}, float32, PyTorch {torch.__version__}, {meta['date']}")
    print("| model | batch | op | batchrmt ms wall / CPU | PyTorch ms wall / CPU | ratio wall / CPU |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        for op, ck, pk in (("gradient", "Gradient", "gradient"), ("HVP (fresh graph)", "HvpFresh", "hvp_fresh"),
                           ("HVP (kept graph)", "HvpReuse", "hvp_reuse")):
            b, p = r["batchrmt"][ck], r["pytorch"][pk]
            print(f"| {r['model']} | {r['batch']} | {op} | {1e3 * b['wall']:.2f} / {1e3 * b['cpu']:.2f} | "
                  f"{1e3 * p['wall']:.2f} / {1e3 * p['cpu']:.2f} | {b['wall'] / p['wall']:.2f} / {b['cpu'] / p['cpu']:.2f} |")
        raw = r["raw_libtorch"]
        for op, k, pk in (("HVP fresh, raw LibTorch", "RawHvpFresh", "hvp_fresh"), ("HVP kept, raw LibTorch", "RawHvpReuse", "hvp_reuse")):
            if raw.get(k):
                b, p = raw[k], r["pytorch"][pk]
                print(f"| {r['model']} | {r['batch']} | {op} | {1e3 * b['wall']:.2f} / {1e3 * b['cpu']:.2f} | "
                      f"{1e3 * p['wall']:.2f} / {1e3 * p['cpu']:.2f} | {b['wall'] / p['wall']:.2f} / {b['cpu'] / p['cpu']:.2f} |")
    print()
    print("| model | HVP/gradient batchrmt (CPU) | HVP/gradient PyTorch (CPU) | Lanczos step / HVP (full reorth.) | (selective) |")
    print("|---|---|---|---|---|")
    fmt = lambda x: "-" if x is None else f"{x:.3f}"  # noqa: E731
    for r in rows:
        print(f"| {r['model']} | {r['batchrmt_hvp_over_gradient_cpu']:.2f} | {r['pytorch_hvp_over_gradient_cpu']:.2f} | "
              f"{fmt(r['lanczos_step_over_hvp'])} | {fmt(r['lanczos_selective_step_over_hvp'])} |")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"meta": meta, "rows": rows, "cpp": cpp}, f, indent=2)


if __name__ == "__main__":
    main()
