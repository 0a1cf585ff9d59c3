"""Sections `theory`, `spectral` and `simlayer` of benchmarks/idle_harness.py: the theory, spectral and
simulation-layer benchmarks (theory_bench, spectral_bench, simulate_bench), one case per process,
medians over --reps processes, each table with its same-run reference where it has one."""
import json
import os

from idle_common import HERE, PY, fmt_time, flag, gbench, med, run_process, wanted


def run_rounds(a, cases, run_one):
    """Runs every case --reps times, one process each, the order reversed in every other round."""
    runs = {c: [] for c in cases}
    for rep in range(a.reps):
        for c in (cases if rep % 2 == 0 else cases[::-1]):
            runs[c].append(run_one(c))
    return runs


def counter(recs, key):
    return med([r["counters"].get(key, float("nan")) for r in recs])


def bench_rounds(a, log, binary, names):
    """run_rounds over Google Benchmark names of one binary (1 thread each), filtered by --only."""
    names = [n for n in names if wanted(a, n)]
    return run_rounds(a, names, lambda n: gbench(a.build, f"{binary}:{n}", 1, log))


def table(intro, header, rows):
    """A Markdown table with its intro line, or nothing when --only left it no rows."""
    return (intro + header + rows + [""]) if rows else []


def power10(n):
    """10000000 -> 1e7, as the docs write sizes."""
    return f"1e{len(str(int(n))) - 1}"


# ------------------------------------------------------------------ theory

THEORY_CASES = [  # benchmark, what, note, only under --long
    ("BM_QveBlockEdgeAndOutlier/2", "QVE block, K = 2: edge (bisection + fold Newton) + outlier", "", False),
    ("BM_QveBlockEdgeAndOutlier/16", "QVE block, K = 16: edge + outlier", "", False),
    ("BM_QveBlockEdgeAndOutlier/256", "QVE block, K = 256: edge + outlier", "dense LU mode", False),
    ("BM_QveFullProfileEdgeAndOutlier/2000", "QVE full profile, P = 2000 (smooth): edge + outlier", "Newton-CG mode", False),
    ("BM_QveRandomFullProfileEdgeAndOutlier/2000", "QVE full profile, P = 2000 (random, seed 20261126): edge + outlier",
     "", False),
    ("BM_QveFullProfileEdgeAndOutlier/10000", "QVE full profile, P = 10000 (smooth): edge + outlier", "", True),
    ("BM_TracyWidomCdf/1", "Tracy-Widom F_1(-2), m = 60 nodes", "", False),
    ("BM_TracyWidomCdf/2", "Tracy-Widom F_2(-2), m = 60 nodes", "", False),
    ("BM_BatchHessianTable", "batch-Hessian table, 11 batch sizes, 3 spikes", "", False),
]


def section_theory(a, log):
    cases = [c for c in THEORY_CASES if a.long or not c[3]]
    runs = bench_rounds(a, log, "theory_bench", [c[0] for c in cases])
    lines = ["| benchmark | median wall | median CPU | notes |", "|---|---|---|---|"]
    for name, what, note, _ in cases:
        rs = runs.get(name)
        if not rs:
            continue
        notes = [f"{len(rs)} process{'es' if len(rs) > 1 else ''}"] + ([note] if note else [])
        if "matvecs" in rs[0]["counters"]:
            notes.append(f"{counter(rs, 'matvecs'):.0f} profile products")
        lines.append(f"| {what} | {fmt_time(med([r['value'] for r in rs]))}{flag(rs)} | "
                     f"{fmt_time(med([r['cpu'] for r in rs]))} | {'; '.join(notes)} |")
    return {"runs": runs}, lines


# ------------------------------------------------------------------ spectral

LANCZOS_OVERHEAD = [  # P, m, basis (0 fp64, 1 fp32), only under --long
    (100000, 20, 0, False), (100000, 100, 0, False), (1000000, 20, 0, False), (1000000, 100, 0, False),
    (10000000, 20, 0, False), (100000, 100, 1, False), (1000000, 100, 1, False), (10000000, 100, 1, True),
]
DENSE_TOP = [("BM_DenseTopSpectra", "Spectra SymEigsSolver (ncv 20)"), ("BM_DenseTopLanczos", "our Lanczos, residual stopping"),
             ("BM_DenseTopLapackDsyevd", "LAPACKE dsyevd (all eigenvalues, jobz N)")]
STURM = [(1000000, 1), (1000000, 4), (1000000, 8), (10000000, 1), (10000000, 4), (10000000, 8)]


def lanczos_overhead_lines(runs):
    rows = []
    for P, m, fp32, _ in LANCZOS_OVERHEAD:
        rs = runs.get(f"BM_LanczosOverhead/{P}/{m}/{fp32}")
        if not rs:
            continue
        c = lambda k: counter(rs, k)  # noqa: E731
        each = ", ".join(f"{r['counters']['reorth_ms_step']:.3g}" for r in rs)
        rows.append(f"| {power10(P)} | {m} | {'fp32' if fp32 else 'fp64'} | {c('reorth_ms_step'):.3g}{flag(rs)} | "
                    f"{c('other_ms_step'):.3g} | {c('reorth_GBps'):.1f} | {c('copy_GBps'):.1f} | **{c('reorth_bw_frac'):.2f}** | "
                    f"{100 * c('other_share'):.2g}% | {100 * c('other_share_50ms'):.2g}% | {c('crossover_m_50ms'):.3g} | {each} |")
    intro = ["Lanczos overhead per step beyond a diagonal operator (full reorthogonalisation, CGS2); the copy "
             "bandwidth is a plain 256 MiB memcpy in the same process.", ""]
    return table(intro, ["| P | m | basis | reorth ms/step | other ms/step | reorth GB/s | copy GB/s (same process) | reorth / copy bw | "
             "other share (cheap op) | other share with 50 ms op | crossover m (reorth = 50 ms) | runs reorth ms/step |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"], rows)


def section_spectral(a, log):
    overhead = [f"BM_LanczosOverhead/{P}/{m}/{s}" for P, m, s, long_only in LANCZOS_OVERHEAD if a.long or not long_only]
    dense = [n for n, _ in DENSE_TOP]
    sturm = [f"BM_SturmTop/{n}/{k}" for n, k in STURM]
    runs = bench_rounds(a, log, "spectral_bench", overhead + dense + sturm)
    ref = med([r["value"] for r in runs.get("BM_DenseTopLapackDsyevd", [])])
    top_rows = []
    for name, what in DENSE_TOP:
        rs = runs.get(name)
        if rs:
            t = med([r["value"] for r in rs])
            apps = f"{counter(rs, 'applications'):.0f}" if "applications" in rs[0]["counters"] else "-"
            top_rows.append(f"| {what} | {fmt_time(t)}{flag(rs)} | {apps} | {t / ref:.3g} | {len(rs)} |")
    sturm_rows = []
    for n, k in STURM:
        rs = runs.get(f"BM_SturmTop/{n}/{k}")
        if rs:
            sturm_rows.append(f"| {power10(n)} | {k} | {fmt_time(med([r['value'] for r in rs]))}{flag(rs)} | "
                              f"{counter(rs, 'sweeps'):.0f} | {1e9 * counter(rs, 's_per_entry_shift'):.2g} |")
    lines = lanczos_overhead_lines(runs)
    lines += table(["Top eigenvalue of a dense 4000 x 4000 spiked GOE, tol 1e-10, against dsyevd in the same run:", ""],
                   ["| method | median | operator applications | ratio to dsyevd | runs |", "|---|---|---|---|---|"], top_rows)
    lines += table(["Sturm bisection, top eigenvalue of an n x n tridiagonal (GOE-scaled random entries):", ""],
                   ["| n | shifts per sweep | median | sweeps | ns per (entry x shift) |", "|---|---|---|---|---|"], sturm_rows)
    return {"runs": runs}, lines


# ------------------------------------------------------------------ simulation layer

TRIDIAGONAL_SIZES = [100000, 1000000, 10000000]
DENSE_SIZES = [1000, 2000, 4000]


def numpy_eigvalsh(a, n, log):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out, rec = run_process([PY, os.path.join(HERE, "simulate_numpy_compare.py"), "--n", str(n),
                            "--min-time", str(0.0 if a.smoke else 0.5)], env=env)
    rec["value"] = json.loads(out.strip().splitlines()[-1])["wall"]
    log.add(f"NumPy eigvalsh n={n}", rec)
    return rec


def dense_vs_numpy(a, log):
    """batchrmt's dsyevd and NumPy's eigvalsh per size, alternating, one process each."""
    sizes = [n for n in DENSE_SIZES if wanted(a, f"BM_DenseEigenvalues/{n}")]
    cases = [(n, side) for n in sizes for side in ("batchrmt", "numpy")]
    runs = run_rounds(a, cases, lambda c: gbench(a.build, f"simulate_bench:BM_DenseEigenvalues/{c[0]}", 1, log)
                      if c[1] == "batchrmt" else numpy_eigvalsh(a, c[0], log))
    rows = []
    for n in sizes:
        ours, theirs = runs[(n, "batchrmt")], runs[(n, "numpy")]
        x, y = med([r["value"] for r in ours]), med([r["value"] for r in theirs])
        rows.append(f"| {n} | {x:.3f}{flag(ours + theirs)} | {y:.3f} | **{x / y:.2f}** |")
    return runs, table(["Dense symmetric eigenvalues (GOE, values only, 1 BLAS thread): batchrmt (LAPACK dsyevd) "
                        "against numpy.linalg.eigvalsh in the same run:", ""],
                       ["| n | batchrmt median (s) | NumPy median (s) | ratio batchrmt/NumPy |", "|---|---|---|---|"], rows)


def section_simlayer(a, log):
    full = [f"BM_SpikedGoeTopFullTridiagonal/{n}" for n in TRIDIAGONAL_SIZES]
    truncated = [f"BM_SpikedGoeTopTruncated/{n}" for n in TRIDIAGONAL_SIZES]
    runs = bench_rounds(a, log, "simulate_bench", full + truncated + ["BM_BatchHessianSweep"])
    dense_runs, lines = dense_vs_numpy(a, log)
    rows = []
    for model, names in (("full beta-Hermite (sample + Sturm bisection, warm-started bracket)", full),
                         ("edge truncation K = 10 n^{1/3} (Edelman & Rao)", truncated)):
        for name in (n for n in names if n in runs):
            rs = runs[name]
            rows.append(f"| {model} | {power10(name.split('/')[1])} | {fmt_time(med([r['value'] for r in rs]))}{flag(rs)} | "
                        f"{fmt_time(med([r['cpu'] for r in rs]))} |")
            model = ""
    lines += table(["Top eigenvalue of a spiked GOE (theta = 2) from the O(n) tridiagonal model:", ""],
                   ["| model | n | wall median | CPU median |", "|---|---|---|---|"], rows)
    rs = runs.get("BM_BatchHessianSweep")
    if rs:
        lines += table([], ["| batch-Hessian sweep of the default job (P = 200, N = 1000, 11 batch sizes x 10 subsets, "
                            "pool cached) | wall s | CPU s |", "|---|---|---|"],
                       [f"| medians of {len(rs)} processes | {med([r['value'] for r in rs]):.2f}{flag(rs)} | "
                        f"{med([r['cpu'] for r in rs]):.2f} |"])
    return {"runs": runs, "dense": {f"{n}:{side}": v for (n, side), v in dense_runs.items()}}, lines
