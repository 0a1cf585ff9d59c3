"""Shared pieces of benchmarks/idle_harness.py and its section modules: load accounting (the foreign
load of every process, flagged above FLAG_LOAD), the host-contention probe (every process run
between two probes, rerun when the host's cache and memory bandwidth fell), one process per case,
medians, table helpers."""
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

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


# ------------------------------------------------------------------ host contention
# The development VM shares its last-level cache and memory bandwidth with other guests. Their
# load shows nowhere inside the VM (/proc/stat's steal stays 0, the foreign load above stays 0),
# but it slows memory-bound code: in periods lasting from seconds to minutes, a 16 MiB sum took
# 1.1-1.6 ms instead of 0.75-0.85 ms, and a lenet GGN product 15-16 ms instead of 10.5-11.5 ms
# (2026-12-03, benchmark and probe alternating in the same minutes). The probe below measures
# that bandwidth in the harness's own process (about 20 ms) before and after every benchmark
# process; a process is "contended" when either probe fell below QUIET times the best probe of
# the run, and it is rerun (at most RETRIES times, after waiting up to WAIT_QUIET seconds for the
# probe to recover). Every attempt stays in the JSON results; a figure whose last attempt was
# still contended is marked "~".
PROBE_ELEMENTS = 4 << 20  # float32: 16 MiB, beyond the private L2, within reach of the shared L3
QUIET = 0.8
RETRIES = 2
WAIT_QUIET = 60.0


class HostProbe:
    def __init__(self):
        self.data = np.ones(PROBE_ELEMENTS, dtype=np.float32)
        self.best = 0.0

    def measure(self):
        """GB/s of the median of 21 sums over the probe array; updates the run's best."""
        times = []
        for _ in range(21):
            t0 = time.perf_counter()
            self.data.sum()
            times.append(time.perf_counter() - t0)
        gbs = self.data.nbytes / statistics.median(times) / 1e9
        self.best = max(self.best, gbs)
        return gbs

    def quiet(self, gbs):
        return gbs >= QUIET * self.best

    def calibrate(self, seconds=10.0):
        """The run's first best: probes spread over `seconds` (the host may be contended at any moment)."""
        end = time.time() + seconds
        while time.time() < end:
            self.measure()
            time.sleep(0.5)
        return self.best

    def wait_quiet(self, limit):
        """Probes until one is quiet or `limit` seconds have passed; returns the last probe."""
        end = time.time() + limit
        gbs = self.measure()
        while not self.quiet(gbs) and time.time() < end:
            time.sleep(2.0)
            gbs = self.measure()
        return gbs


PROBE = HostProbe()


def run_once(cmd, env, timeout):
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


def run_process(cmd, env=None, timeout=900, retries=None):
    """Runs cmd between two host probes, again while contended (at most `retries` more times);
    returns (stdout, record) with wall, own CPU, foreign load, load averages, the probes (GB/s and
    the run's best at the time) and the discarded attempts."""
    retries = RETRIES if retries is None else retries
    discarded = []
    for attempt in range(retries + 1):
        before = PROBE.wait_quiet(WAIT_QUIET)
        out, rec = run_once(cmd, env, timeout)
        after = PROBE.measure()
        rec.update(probe_before=before, probe_after=after, probe_best=PROBE.best,
                   contended=not (PROBE.quiet(before) and PROBE.quiet(after)))
        if not rec["contended"] or attempt == retries:
            break
        discarded.append({k: rec[k] for k in ("wall", "own_cpu", "probe_before", "probe_after", "probe_best")})
        print(f"  (host contended: probe {before:.1f} / {after:.1f} GB/s against the run's best {PROBE.best:.1f}; "
              f"rerunning, attempt {attempt + 2} of {retries + 1})", file=sys.stderr, flush=True)
    rec["discarded"] = discarded
    return out, rec


class Log:
    def __init__(self):
        self.records = []
        self.flagged = []

    def add(self, label, rec):
        rec["label"] = label
        self.records.append(rec)
        if flag([rec]):
            self.flagged.append(rec)
        print(f"  {label}: {rec['wall']:.1f} s wall, foreign load {rec['foreign_load']:.2f}, "
              f"load avg {rec['load_before']:.2f} -> {rec['load_after']:.2f}, probe {rec['probe_before']:.1f} / "
              f"{rec['probe_after']:.1f} GB/s (best {rec['probe_best']:.1f})"
              + (f", {len(rec['discarded'])} contended attempt(s) discarded" if rec["discarded"] else ""),
              file=sys.stderr, flush=True)
        return rec


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def flag(recs):
    """'!' when a process ran with a foreign load above FLAG_LOAD, '~' when its last attempt was contended."""
    return ("!" if any(r["foreign_load"] > FLAG_LOAD for r in recs) else "") + \
        ("~" if any(r.get("contended") for r in recs) else "")


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

