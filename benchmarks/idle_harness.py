#!/usr/bin/python3
"""Order-independent performance runs for docs/performance.md (docs/performance.md, "Idle-machine figures").

    benchmarks/run_idle.sh [BUILD_DIR] [--sections a,b,...] [--reps 3] [--long] [--only REGEX] [--smoke]

Every case runs in its own process (a fresh LibTorch, allocator and cache state), so no figure
depends on what ran before it. Each case runs --reps times (default 3); within a row the
operator, its raw-LibTorch control and the PyTorch-in-Python reference alternate (the order
rotates per repetition), and the median over the processes is reported. One `order` section
shows the effect that per-process runs remove: the same lenet benchmarks in ONE process, in
random interleaved order (Google Benchmark's --benchmark_enable_random_interleaving), against
the per-process medians.

Load discipline: before and after every process the 1-minute load average is recorded, and
the foreign load during the process is measured as (busy CPU-seconds of the whole machine from
/proc/stat - the process's own CPU-seconds) / wall seconds, i.e. how many cores something else
kept busy. A figure whose foreign load exceeds 0.5 (or whose load average before the start
exceeded 0.5 + the threads the previous case of this harness left in it) is flagged with "!"
in every table and listed at the end. The 1-minute load average includes the harness's own
benchmark (about 1 per benchmark thread after a minute of running), which is why the foreign
load, not the load average, decides the flag.

Host contention: the VM shares its cores, cache and memory bandwidth with other guests, whose
load /proc/stat does not show. A 16 MiB sum and a 192^3 GEMM on each CPU, timed in the harness's
own process (idle_common.HostProbe), measure it before and after every process; when a probe is
below 0.8 (sum) or 0.9 (GEMM) times the best of the run, the process is rerun (--retries, default
2, after waiting up to --wait-quiet seconds for the probes to recover). Discarded attempts stay in
the JSON results and are counted at the end; a figure whose last attempt was still contended is
marked "~". In the curvature section the operator and its raw control run in adjacent processes
and the headline ratio is the median of their per-repetition ratios (paired).

Sections (default: all; --sections picks some). Times: about, on the 2-core development VM with
--reps 3; "+" is what --long adds.
  curvature  operator vs raw LibTorch vs PyTorch: gradient, HVP (fresh / kept graph), GGN (paired);
             lenet (batch 128) fp32 + fp64 at 1 thread, fp32 kept graph at 2 threads; vgg16bn
             (batch 32) fp32 at 1 thread                                           (~7 min)
  order      the same lenet benchmarks in one process, random order, vs per process (~2 min)
  lanczos    vgg16bn Lanczos step / HVP, 20 steps: full reorth. fp64 basis, fp32 basis,
             selective, each after a first run in its process; with --long also 100 steps  (~7 min, +6 min)
  fulldata   lenet over all 60,000 Fashion-MNIST images, float32, 2 threads (the goal) and 1
             thread: HVP / gradient                                                (~3 min)
  simulate   `batchrmt simulate spiked-wigner --n 10000000 --theta 1.5 --trials 2 --method
             tridiagonal --threads 1` end to end (wall), and its parts             (~1 min)
  training   training step vs PyTorch in Python, lenet and vgg16bn, 1 thread, each side in its
             own process, alternating                                              (~3 min)
  theory     theory_bench: QVE block K = 2, 16, 256; full profile P = 2000 smooth and random
             (P = 10000 with --long); Tracy-Widom F_1, F_2; batch-Hessian table
                                                                         (~1 min, +2 min)
  spectral   spectral_bench: Lanczos overhead per step beyond a diagonal operator against the
             copy bandwidth of the same process (P = 1e5..1e7; P = 1e7, m = 100 fp32, a 4 GB
             basis, with --long); dense 4000 top eigenvalue, Spectra and Lanczos against
             dsyevd; Sturm multisection at n = 1e6, 1e7                    (~5 min, +5 min)
  simlayer   simulate_bench: dense eigenvalues against NumPy eigvalsh (n = 1000, 2000, 4000,
             alternating processes); spiked-GOE top eigenvalue, full and edge-truncated
             tridiagonal, n = 1e5..1e7; batch-Hessian sweep of the default job     (~2 min)
  mpi        lenet full-data HVP (60,000 images, float64, 2 products a process) for 1 x 1,
             1 x R threads and R ranks x 1 thread, R = 2..nproc, against 1 x 1; with --long
             also the default job (`reproduce --no-plots`) at 1 x 1, 1 x nproc, nproc x 1.
             Skipped when mpirun is missing.                             (~37 min, +12 min)
  devicebasis  `batchrmt --threads 2 bench curvature --model vgg16bn --batch 8 --repeats 2
             --lanczos-steps 20 --lanczos-basis host|device`, alternating          (~3 min)
For checking the harness (theory, spectral, simlayer, mpi, devicebasis; the others ignore them):
--only REGEX keeps the cases whose benchmark name (or "mpi RxT", "basis host|device") matches;
--smoke runs the tiniest variants (minimal benchmark time; lenet, 3 steps and 512 images for mpi
and devicebasis): its figures mean nothing.
Writes BUILD_DIR/idle-run/results.json and prints Markdown for docs/performance.md.
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

import idle_common
from idle_common import (FLAG_LOAD, GBENCH_EXTRA, GLIBC_SAME_AS_BATCHRMT, HERE, PROBE, PY, QUIET, Log, flag, fmt_probe,
                         gbench, med, pytorch, run_process)
from idle_layers import section_simlayer, section_spectral, section_theory
from idle_scaling import section_devicebasis, section_mpi


# ------------------------------------------------------------------ sections

CURVATURE_ROWS = [
    # model, product, dtype, threads, operator benchmark, raw control, PyTorch case
    ("lenet", "gradient", "float32", 1, "Gradient_lenet", "RawGradient_lenet", "lenet:gradient"),
    ("lenet", "HVP, fresh graph", "float32", 1, "HvpFresh_lenet", "RawHvpFresh_lenet", "lenet:hvp_fresh"),
    ("lenet", "HVP, kept graph", "float32", 1, "HvpReuse_lenet", "RawHvpReuse_lenet", "lenet:hvp_reuse"),
    ("lenet", "HVP, fresh graph", "float64", 1, "HvpFresh_lenet_fp64", "RawHvpFresh_lenet_fp64", "lenet:hvp_fresh"),
    ("lenet", "HVP, kept graph", "float64", 1, "HvpReuse_lenet_fp64", "RawHvpReuse_lenet_fp64", "lenet:hvp_reuse"),
    ("lenet", "HVP, kept graph", "float32", 2, "HvpReuse_lenet", "RawHvpReuse_lenet", "lenet:hvp_reuse"),
    ("lenet", "GGN, kept graph", "float32", 1, "GgnReuse_lenet", "RawGgnReuse_lenet", "lenet:ggn_reuse"),
    ("vgg16bn", "gradient", "float32", 1, "Gradient_vgg16bn", "RawGradient_vgg16bn", "vgg16bn:gradient"),
    ("vgg16bn", "HVP, fresh graph", "float32", 1, "HvpFresh_vgg16bn", "RawHvpFresh_vgg16bn", "vgg16bn:hvp_fresh"),
    ("vgg16bn", "HVP, kept graph", "float32", 1, "HvpReuse_vgg16bn", "RawHvpReuse_vgg16bn", "vgg16bn:hvp_reuse"),
    ("vgg16bn", "GGN, kept graph", "float32", 1, "GgnReuse_vgg16bn", "RawGgnReuse_vgg16bn", "vgg16bn:ggn_reuse"),
]


def section_curvature(a, log):
    """Per row and repetition: the operator and its raw control in adjacent processes (which goes
    first alternates), PyTorch before or after the pair (alternating); the headline ratio is the
    median over repetitions of operator / raw of the same repetition, a paired comparison that a
    slow minute of the host hits on both sides."""
    results = []
    for model, product, dtype, threads, op, raw, pyc in CURVATURE_ROWS:
        runs = {"op": [], "raw": [], "py": []}
        for rep in range(a.reps):
            pair = ["op", "raw"] if rep % 2 == 0 else ["raw", "op"]
            order = pair + ["py"] if (rep // 2) % 2 == 0 else ["py"] + pair
            for k in order:
                if k == "py":
                    runs[k].append(pytorch(pyc, dtype, threads, log, 0.0 if model == "vgg16bn" else 1.0))
                else:
                    runs[k].append(gbench(a.build, "networks_hvp_bench:BM_" + (op if k == "op" else raw), threads, log))
        results.append({"model": model, "product": product, "dtype": dtype, "threads": threads, "runs": runs})
    lines = ["| model | product | dtype | threads | operator ms | raw LibTorch ms | PyTorch ms | operator / raw (paired) | "
             "operator / raw (medians) | raw / PyTorch | operator / PyTorch | runs (operator; raw) ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        m = {k: med([x["value"] for x in v]) for k, v in r["runs"].items()}
        paired = med([o["value"] / w["value"] for o, w in zip(r["runs"]["op"], r["runs"]["raw"])])
        f = flag(r["runs"]["op"] + r["runs"]["raw"] + r["runs"]["py"])
        each = "; ".join(", ".join(f"{1e3 * x['value']:.1f}" for x in r["runs"][k]) for k in ("op", "raw"))
        lines.append(f"| {r['model']} | {r['product']} | {r['dtype']} | {r['threads']} | {1e3 * m['op']:.2f}{f} | "
                     f"{1e3 * m['raw']:.2f} | {1e3 * m['py']:.2f} | **{paired:.3f}** | {m['op'] / m['raw']:.3f} | "
                     f"{m['raw'] / m['py']:.3f} | {m['op'] / m['py']:.3f} | {each} |")
        r["median"] = m
        r["paired_ratio"] = paired
    return {"rows": results}, lines


def section_order(a, log):
    """Item 0: per-process medians vs the same benchmarks in one process, random order."""
    names = ["Gradient_lenet", "RawGradient_lenet", "HvpFresh_lenet", "RawHvpFresh_lenet", "HvpReuse_lenet",
             "RawHvpReuse_lenet", "GgnReuse_lenet", "RawGgnReuse_lenet"]
    alone = {n: [] for n in names}
    for rep in range(a.reps):
        for n in (names if rep % 2 == 0 else names[::-1]):
            alone[n].append(gbench(a.build, "networks_hvp_bench:BM_" + n, 1, log)["value"])
    env = dict(os.environ, BATCHRMT_BENCH_THREADS="1", OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS="1")
    out, rec = run_process([os.path.join(a.build, "benchmarks", "networks_hvp_bench"),
                            "--benchmark_filter=^BM_(" + "|".join(names) + ")(/|$)", "--benchmark_format=json",
                            f"--benchmark_repetitions={a.reps}", "--benchmark_enable_random_interleaving=true"], env=env)
    log.add("one process, random interleaving", rec)
    together = {n: [] for n in names}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            n = b["run_name"].split("/")[0][3:]
            unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b["time_unit"]]
            together[n].append(b["median_ms"] * 1e-3 if "median_ms" in b else b["real_time"] * unit)
    lines = ["| benchmark (lenet, fp32, 1 thread) | own process, median ms | one process, random order, median ms | "
             "ratio | within 10 % |", "|---|---|---|---|---|"]
    rows = []
    for n in names:
        x, y = med(alone[n]), med(together[n])
        rows.append({"name": n, "alone": alone[n], "together": together[n]})
        lines.append(f"| {n} | {1e3 * x:.2f} | {1e3 * y:.2f} | {y / x:.3f} | {'yes' if abs(y / x - 1) <= 0.1 else 'NO'} |")
    lines.append("")
    lines.append(f"Foreign load during the one-process run: {rec['foreign_load']:.2f}{' !' if rec['foreign_load'] > FLAG_LOAD else ''}; "
                 f"host probe {fmt_probe(rec['probe_before'])} / {fmt_probe(rec['probe_after'])} (best {fmt_probe(rec['probe_best'])}){flag([rec])}.")
    return {"rows": rows}, lines


def section_lanczos(a, log):
    names = ["LanczosStep_vgg16bn", "LanczosStepFp32Basis_vgg16bn", "LanczosStepSelective_vgg16bn"]
    reps = {n: a.reps for n in names}
    reps["LanczosStepSelective_vgg16bn"] = 1
    if a.long:
        names.append("LanczosStep100_vgg16bn")
        reps["LanczosStep100_vgg16bn"] = 1
    runs = {n: [] for n in names}
    for rep in range(a.reps):
        for n in names:
            if len(runs[n]) < reps[n]:
                runs[n].append(gbench(a.build, "networks_hvp_bench:BM_" + n, 1, log))
    lines = ["| vgg16bn, batch 32, 1 thread | steps | basis | runs | s per step | HVP s | reorth. s per step | "
             "step / HVP | first run step / HVP | reorth. GB/s | bytes read per step (mean) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    rows = []
    for n in names:
        rs = runs[n]
        c = lambda k: med([r["counters"].get(k, float("nan")) for r in rs])  # noqa: E731
        steps = 100 if "100" in n else 20
        basis_bytes = 4 if "Fp32" in n else 8
        P = c("P")
        # Full reorth. (CGS2): 3 sweeps over the j stored columns at step j (Q^T w; the first pass's
        # update fused with the second's projection; the second's update); mean j = (m+1)/2.
        read = 0.0 if "Selective" in n else 3 * (steps + 1) / 2 * P * basis_bytes
        reorth = c("reorth_seconds_per_step")
        bw = read / reorth / 1e9 if reorth > 0 and read > 0 else float("nan")
        basis = "fp32" if "Fp32" in n else "fp64"
        kind = "selective" if "Selective" in n else "full"
        lines.append(f"| {kind} | {steps} | {basis} | {len(rs)}{flag(rs)} | {c('seconds_per_step'):.3f} | {c('hvp_seconds'):.3f} | "
                     f"{reorth:.3f} | **{c('step_over_hvp'):.3f}** | {c('first_step_over_hvp'):.3f} | {bw:.1f} | {read / 1e9:.2f} GB |")
        rows.append({"name": n, "runs": rs})
    return {"rows": rows}, lines


def section_fulldata(a, log):
    """The goal is at 2 threads; the 1-thread row shows how much of the ratio is thread scaling."""
    names = ["FullDataGradient_lenet", "FullDataHvp_lenet"]
    runs = {f"{n} ({t} thr)": [] for t in (2, 1) for n in names}
    for threads in (2, 1):
        for rep in range(a.reps):
            for n in (names if rep % 2 == 0 else names[::-1]):
                runs[f"{n} ({threads} thr)"].append(gbench(a.build, "networks_hvp_bench:BM_" + n, threads, log))
    lines = ["| lenet, Fashion-MNIST 60,000, float32, chunks of 512 | gradient s | HVP s | HVP / gradient | runs (gradient; HVP) s |",
             "|---|---|---|---|---|"]
    for threads in (2, 1):
        g_runs, h_runs = (runs[f"{n} ({threads} thr)"] for n in names)
        g, h = med([r["value"] for r in g_runs]), med([r["value"] for r in h_runs])
        each = "; ".join(", ".join(f"{r['value']:.2f}" for r in rs) for rs in (g_runs, h_runs))
        lines.append(f"| {threads} thread{'s' if threads > 1 else ''}, medians of {a.reps} processes{flag(g_runs + h_runs)} | "
                     f"{g:.2f} | {h:.2f} | **{h / g:.2f}** | {each} |")
    return {"runs": runs}, lines


def section_simulate(a, log):
    cli = [os.path.join(a.build, "batchrmt"), "--json", "--threads", "1", "simulate", "spiked-wigner", "--n",
           "10000000", "--theta", "1.5", "--trials", "2", "--method", "tridiagonal"]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    runs, parts = [], {"BM_SpikedWignerCliTrial/10000000": [], "BM_BetaHermiteSample/10000000": [],
                       "BM_TridiagonalExtremesWarm/10000000": []}
    for rep in range(a.reps):
        out, rec = run_process(cli, env=env)
        rec["value"] = rec["wall"]
        rec["json"] = json.loads(out)
        runs.append(log.add("CLI spiked-wigner n=1e7 trials 2", rec))
        for p in parts:
            parts[p].append(gbench(a.build, "simulate_bench:" + p, 1, log,
                                   extra=("--benchmark_min_time=0",)))
    lines = ["| what (n = 1e7, theta 1.5, 1 thread) | median s | runs s |", "|---|---|---|",
             f"| `{' '.join(['batchrmt'] + cli[1:])}` (whole process, wall) | **{med([r['wall'] for r in runs]):.2f}**{flag(runs)} | "
             + ", ".join(f"{r['wall']:.2f}" for r in runs) + " |"]
    for p, rs in parts.items():
        lines.append(f"| {p.split('/')[0][3:]} (per trial) | {med([r['value'] for r in rs]):.3f}{flag(rs)} | "
                     + ", ".join(f"{r['value']:.3f}" for r in rs) + " |")
    return {"cli": runs, "parts": parts}, lines


TRAINING_ROWS = [
    # model, batch, batchrmt benchmark (networks_train_bench), seconds per process (its MinTime)
    ("lenet", 128, "BM_LenetStep", 2.0),
    ("vgg16bn", 32, "BM_Vgg16bnStep", 5.0),
]


def section_training(a, log):
    """batchrmt's training step and PyTorch's, each in its own process, alternating, reps each."""
    results = []
    for model, batch, bench, min_time in TRAINING_ROWS:
        runs = {"ours": [], "py": []}
        for rep in range(a.reps):
            for k in (("ours", "py") if rep % 2 == 0 else ("py", "ours")):
                if k == "ours":
                    runs[k].append(gbench(a.build, "networks_train_bench:" + bench, 1, log))
                    continue
                env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                           GLIBC_TUNABLES=GLIBC_SAME_AS_BATCHRMT)
                out, rec = run_process([PY, os.path.join(HERE, "networks_pytorch_compare.py"), "--case", model,
                                        "--threads", "1", "--min-time", str(0.0 if a.smoke else min_time)], env=env)
                r = json.loads(out.strip().splitlines()[-1])
                rec["value"], rec["cpu"] = r["wall"], r["cpu"]
                runs[k].append(log.add(f"PyTorch training step {model}", rec))
        results.append({"model": model, "batch": batch, "runs": runs})
    lines = ["| model | batch | threads | batchrmt ms/step | PyTorch ms/step | batchrmt / PyTorch (wall) | "
             "batchrmt / PyTorch (CPU) | runs (batchrmt; PyTorch) ms |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        o, p = r["runs"]["ours"], r["runs"]["py"]
        wo, wp = med([x["value"] for x in o]), med([x["value"] for x in p])
        co, cp = med([x["cpu"] for x in o]), med([x["cpu"] for x in p])
        each = "; ".join(", ".join(f"{1e3 * x['value']:.1f}" for x in rs) for rs in (o, p))
        lines.append(f"| {r['model']} | {r['batch']} | 1 | {1e3 * wo:.1f}{flag(o + p)} | {1e3 * wp:.1f} | **{wo / wp:.3f}** | "
                     f"{co / cp:.3f} | {each} |")
    return {"rows": results}, lines


SECTIONS = {"curvature": section_curvature, "order": section_order, "lanczos": section_lanczos,
            "fulldata": section_fulldata, "simulate": section_simulate, "training": section_training,
            "theory": section_theory, "spectral": section_spectral, "simlayer": section_simlayer, "mpi": section_mpi,
            "devicebasis": section_devicebasis}
# The binaries each section runs, under the build folder.
NEEDS = {"curvature": ["benchmarks/networks_hvp_bench"], "order": ["benchmarks/networks_hvp_bench"],
         "lanczos": ["benchmarks/networks_hvp_bench"], "fulldata": ["benchmarks/networks_hvp_bench"],
         "simulate": ["batchrmt", "benchmarks/simulate_bench"], "training": ["benchmarks/networks_train_bench"],
         "theory": ["benchmarks/theory_bench"], "spectral": ["benchmarks/spectral_bench"],
         "simlayer": ["benchmarks/simulate_bench"], "mpi": ["batchrmt"], "devicebasis": ["batchrmt"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated, from: " + ", ".join(SECTIONS))
    ap.add_argument("--reps", type=int, default=3, help="processes per case (median reported; at least 3 for the docs)")
    ap.add_argument("--long", action="store_true", help="also the cases over ~2 minutes a process (the + times above)")
    ap.add_argument("--only", default="", help="regular expression: only the cases whose name it matches")
    ap.add_argument("--smoke", action="store_true", help="tiniest variants, to check the harness (figures mean nothing)")
    ap.add_argument("--wait-idle", type=float, default=120, help="seconds to wait for load average < 0.5 first")
    ap.add_argument("--retries", type=int, default=idle_common.RETRIES,
                    help="reruns of a process while the host probe says contended")
    ap.add_argument("--wait-quiet", type=float, default=idle_common.WAIT_QUIET,
                    help="seconds to wait before each process for the host probe to recover")
    ap.add_argument("--out", default="", help="JSON results (default BUILD/idle-run/results.json)")
    a = ap.parse_args()
    if a.reps < 1:
        ap.error(f"--reps is {a.reps}, but must be at least 1.")
    if a.retries < 0 or a.wait_quiet < 0:
        ap.error(f"--retries is {a.retries} and --wait-quiet {a.wait_quiet}, but both must be at least 0.")
    idle_common.RETRIES, idle_common.WAIT_QUIET = a.retries, a.wait_quiet
    if a.smoke:
        GBENCH_EXTRA.append("--benchmark_min_time=0")
    wanted = [s for s in a.sections.split(",") if s]
    for s in wanted:
        if s not in SECTIONS:
            ap.error(f"--sections has '{s}', but must be among {', '.join(SECTIONS)}.")
        for binary in NEEDS[s]:
            if not os.access(os.path.join(a.build, binary), os.X_OK):
                ap.error(f"section {s} needs {os.path.join(a.build, binary)}, which is missing; build with "
                         "'cmake --build --preset release' first.")
    t_start = time.time()
    deadline = t_start + a.wait_idle
    while os.getloadavg()[0] > FLAG_LOAD and time.time() < deadline:
        time.sleep(5)
    start_load = os.getloadavg()
    PROBE.calibrate(2.0 if a.smoke else 10.0)
    start_probe = dict(PROBE.best)
    log = Log()
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "host": socket.gethostname(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "cpu_model": next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?"),
            "commit": subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
            "dirty": bool(subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--untracked-files=no"],
                                         capture_output=True, text=True).stdout.strip()),
            "load_at_start": start_load, "reps": a.reps, "argv": sys.argv[1:], "probe_best_at_start": start_probe}
    out = {"meta": meta, "sections": {}}
    md = []
    for s in wanted:
        print(f"[{s}]", file=sys.stderr, flush=True)
        data, lines = SECTIONS[s](a, log)
        out["sections"][s] = data
        md.append((s, lines))
    meta["load_at_end"] = os.getloadavg()
    meta["minutes"] = (time.time() - t_start) / 60
    print(f"Measured {meta['date']} on {meta['host']} ({meta['cpu_model']}, {meta['cpus']} CPUs, {meta['platform']}), "
          f"commit {meta['commit']}{' (with uncommitted changes)' if meta['dirty'] else ''}, "
          f"`benchmarks/idle_harness.py {' '.join(sys.argv[1:])}` (run by run_idle.sh), {meta['minutes']:.1f} min; load average at start "
          f"{start_load[0]:.2f} {start_load[1]:.2f} {start_load[2]:.2f}, at end {meta['load_at_end'][0]:.2f}. "
          f"Every figure is the median over {a.reps} processes, one case per process."
          + (" SMOKE RUN (--smoke): tiniest variants, the figures mean nothing." if a.smoke else ""))
    for s, lines in md:
        print(f"\n### {s}\n")
        print("\n".join(lines).rstrip("\n"))
    print()
    loaded = [r for r in log.flagged if r["foreign_load"] > FLAG_LOAD]
    if loaded:
        print(f"**{len(loaded)} process(es) ran with a foreign load above {FLAG_LOAD} (marked !); rerun on an idle machine:**")
        for r in loaded:
            print(f"- {r['label']}: foreign load {r['foreign_load']:.2f}")
    else:
        print(f"No process ran with a foreign load above {FLAG_LOAD} (the largest: "
              f"{max((r['foreign_load'] for r in log.records), default=0):.2f}).")
    reruns = sum(len(r["discarded"]) for r in log.records)
    contended = [r for r in log.records if r.get("contended")]
    print(f"Host probe (16 MiB sum and 192^3 GEMM on each CPU): best {fmt_probe(PROBE.best)} (at start {fmt_probe(start_probe)}); "
          f"{reruns} of {reruns + len(log.records)} process runs were contended (a probe below {QUIET['sum']} x the best sum "
          f"or {QUIET['gemm']} x the best GEMM) and rerun"
          + (f"; {len(contended)} figure(s) still contended after {a.retries} reruns (marked ~):" if contended else
             "; every figure comes from an uncontended process."))
    for r in contended:
        print(f"- {r['label']}: probe {fmt_probe(r['probe_before'])} / {fmt_probe(r['probe_after'])}")
    out["records"] = log.records
    path = a.out or os.path.join(a.build, "idle-run", "results.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1, default=str)
    print(f"\n(raw results: {path})", file=sys.stderr)


if __name__ == "__main__":
    main()
