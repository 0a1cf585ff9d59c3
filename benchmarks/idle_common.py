"""Shared pieces of benchmarks/idle_harness.py and its section modules: load accounting (the foreign
load of every process, flagged above FLAG_LOAD), one process per case, medians, table helpers."""
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"  # Debian's interpreter: the one that sees python3-torch / python3-numpy
FLAG_LOAD = 0.5

# ------------------------------------------------------------------ load accounting


def busy_jiffies():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_process(cmd, env=None, timeout=900):
    """Runs cmd; returns (stdout, record) with wall, own CPU, foreign load, load averages."""
    hz = os.sysconf("SC_CLK_TCK")
    load_before = os.getloadavg()[0]
    j0, c0, t0 = busy_jiffies(), children_cpu(), time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    own = children_cpu() - c0
    busy = (busy_jiffies() - j0) / hz
    rec = {"cmd": " ".join(cmd), "wall": wall, "own_cpu": own, "foreign_load": max(0.0, (busy - own) / wall),
           "load_before": load_before, "load_after": os.getloadavg()[0], "rc": p.returncode}
    if p.returncode != 0:
        raise RuntimeError(f"{rec['cmd']} failed with exit code {p.returncode}:\n{p.stderr[-3000:]}")
    return p.stdout, rec


class Log:
    def __init__(self):
        self.records = []
        self.flagged = []

    def add(self, label, rec):
        rec["label"] = label
        self.records.append(rec)
        if rec["foreign_load"] > FLAG_LOAD:
            self.flagged.append(rec)
        print(f"  {label}: {rec['wall']:.1f} s wall, foreign load {rec['foreign_load']:.2f}, "
              f"load avg {rec['load_before']:.2f} -> {rec['load_after']:.2f}", file=sys.stderr, flush=True)
        return rec


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def flag(recs):
    return "!" if any(r["foreign_load"] > FLAG_LOAD for r in recs) else ""


# ------------------------------------------------------------------ runners

GBENCH_EXTRA = []  # options added to every Google Benchmark command (idle_harness.py --min-time, for smoke tests)


def wanted(a, name):
    """Whether --only (a regular expression, searched in the case's name) selects this case."""
    return not a.only or re.search(a.only, name) is not None


def fmt_time(s):
    """Seconds in the unit the docs use for that size: us, ms or s."""
    if s != s:
        return "nan"
    if s < 1e-3:
        return f"{1e6 * s:.3g} us"
    if s < 1.0:
        return f"{1e3 * s:.3g} ms"
    return f"{s:.3g} s"


def gbench(build, name, threads, log, extra=()):
    """One Google Benchmark in its own process; returns (per-iteration wall s, cpu s, counters)."""
    env = dict(os.environ, BATCHRMT_BENCH_THREADS=str(threads), OMP_WAIT_POLICY="PASSIVE",
               OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1")
    binary = os.path.join(build, "benchmarks", name.split(":")[0])
    bench = name.split(":")[1]
    out, rec = run_process([binary, f"--benchmark_filter=^{bench}(/|$)", "--benchmark_format=json", *GBENCH_EXTRA, *extra],
                           env=env)
    runs = json.loads(out)["benchmarks"]
    # A benchmark registered with Repetitions()->ReportAggregatesOnly() reports only aggregates: take its median.
    res = [b for b in runs if b.get("run_type", "iteration") == "iteration"] or \
        [b for b in runs if b.get("aggregate_name") == "median"]
    if not res:
        raise RuntimeError(f"{bench}: no result (filter matched nothing?)")
    b = res[0]
    if b.get("error_occurred"):
        raise RuntimeError(f"{bench}: {b.get('error_message')}")
    unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b["time_unit"]]
    rec["value"] = b["real_time"] * unit
    if "median_ms" in b:  # the per-call median where the benchmark times each call (networks_hvp_bench)
        rec["value"] = b["median_ms"] * 1e-3
    rec["cpu"] = b["cpu_time"] * unit
    rec["counters"] = {k: v for k, v in b.items() if isinstance(v, (int, float)) and k not in ("real_time", "cpu_time")}
    log.add(f"{bench} ({threads} thr)", rec)
    return rec


# batchrmt fixes glibc's malloc thresholds in every LibTorch process (networks/torch_runtime.hpp,
# keep_tensor_memory_in_process); the PyTorch reference runs with the same setting, so that the
# ratio compares the kernels, not two allocator policies.
GLIBC_SAME_AS_BATCHRMT = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647"


def pytorch(case, dtype, threads, log, min_time):
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS=str(threads), GLIBC_TUNABLES=GLIBC_SAME_AS_BATCHRMT)
    out, rec = run_process([PY, os.path.join(HERE, "networks_hvp_pytorch_compare.py"), "--case", case, "--dtype",
                            dtype, "--threads", str(threads), "--min-time", str(min_time)], env=env)
    r = json.loads(out.strip().splitlines()[-1])
    rec["value"], rec["cpu"] = r["wall"], r["cpu"]
    log.add(f"PyTorch {case} {dtype} ({threads} thr)", rec)
    return rec

