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

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the probe's GEMM: one thread, on the CPU it is pinned to
import numpy as np  # noqa: E402

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
# The development VM shares its cores, last-level cache and memory bandwidth with other guests.
# Their load shows nowhere inside the VM (/proc/stat's steal stays 0, the foreign load above stays
# 0), but it slows our code in periods lasting from seconds to minutes: a 16 MiB sum took 1.1-1.6
# ms instead of 0.75-0.85 ms and a lenet GGN product 15-16 ms instead of 10.5-11.5 ms in the same
# minutes (2026-12-03), and in other minutes every lenet product (operator, raw control and
# PyTorch alike) ran 25-35 % slower while the sum did not move. The probe below therefore measures
# both a memory-bound sum and a small cache-resident GEMM on each CPU in turn (the harness's own
# process pinned there, about 40 ms in all) before and after every benchmark process. A process
# is "contended" when any probe fell below its QUIET fraction of the best seen in the run; it is
# rerun (at most RETRIES times, after waiting up to WAIT_QUIET seconds for the probes to
# recover). Every attempt stays in the JSON results; a figure whose last attempt was still
# contended is marked "~".
PROBE_ELEMENTS = 4 << 20  # float32 sum: 16 MiB, beyond the private L2, within reach of the shared L3
PROBE_GEMM = 192  # float32 GEMM side: 144 KiB a matrix, compute-bound
QUIET = {"sum": 0.8, "gemm": 0.9}  # quiet spreads measured: sum 11 %, gemm 5 % below the best
RETRIES = 2
WAIT_QUIET = 90.0


class HostProbe:
    def __init__(self):
        self.data = np.ones(PROBE_ELEMENTS, dtype=np.float32)
        self.mat = np.random.default_rng(0).standard_normal((PROBE_GEMM, PROBE_GEMM)).astype(np.float32)
        self.cpus = sorted(os.sched_getaffinity(0))
        self.best = {"sum": 0.0, "gemm": 0.0}

    def _one_cpu(self):
        ts, tg = [], []
        for _ in range(21):
            t0 = time.perf_counter()
            self.data.sum()
            t1 = time.perf_counter()
            self.mat @ self.mat
            t2 = time.perf_counter()
            ts.append(t1 - t0)
            tg.append(t2 - t1)
        return self.data.nbytes / statistics.median(ts) / 1e9, 2 * PROBE_GEMM ** 3 / statistics.median(tg) / 1e9

    def measure(self):
        """{"sum": GB/s, "gemm": GFLOP/s}, each the worst over the CPUs (medians of 21); updates the run's best."""
        res = {"sum": float("inf"), "gemm": float("inf")}
        try:
            for c in self.cpus:
                os.sched_setaffinity(0, {c})
                s, g = self._one_cpu()
                res["sum"], res["gemm"] = min(res["sum"], s), min(res["gemm"], g)
        finally:
            os.sched_setaffinity(0, self.cpus)
        for k in res:
            self.best[k] = max(self.best[k], res[k])
        return res

    def quiet(self, p):
        return all(p[k] >= QUIET[k] * self.best[k] for k in QUIET)

    def calibrate(self, seconds=10.0):
        """The run's first best: probes spread over `seconds` (the host may be contended at any moment)."""
        end = time.time() + seconds
        while time.time() < end:
            self.measure()
            time.sleep(0.5)
        return dict(self.best)

    def wait_quiet(self, limit):
        """Probes until one is quiet or `limit` seconds have passed; returns the last probe."""
        end = time.time() + limit
        p = self.measure()
        while not self.quiet(p) and time.time() < end:
            time.sleep(2.0)
            p = self.measure()
        return p


def fmt_probe(p):
    return f"{p['sum']:.1f} GB/s, {p['gemm']:.0f} GF/s"


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
        rec.update(probe_before=before, probe_after=after, probe_best=dict(PROBE.best),
                   contended=not (PROBE.quiet(before) and PROBE.quiet(after)))
        if not rec["contended"] or attempt == retries:
            break
        discarded.append({k: rec[k] for k in ("wall", "own_cpu", "probe_before", "probe_after", "probe_best")})
        print(f"  (host contended: probe {fmt_probe(before)} / {fmt_probe(after)} against the run's best {fmt_probe(PROBE.best)}; "
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
              f"load avg {rec['load_before']:.2f} -> {rec['load_after']:.2f}, probe {fmt_probe(rec['probe_before'])} / "
              f"{fmt_probe(rec['probe_after'])} (best {fmt_probe(rec['probe_best'])})"
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

