#!/usr/bin/python3
"""Dense symmetric eigenvalues: batchrmt (LAPACK dsyevd via LAPACKE/OpenBLAS) against
numpy.linalg.eigvalsh, same sizes, same machine, same run, one BLAS thread each.

Usage: /usr/bin/python3 benchmarks/simulate_numpy_compare.py BUILD_DIR [--repetitions 5]
Prints a Markdown table (median seconds, ratio batchrmt / NumPy) for docs/performance.md.

       /usr/bin/python3 benchmarks/simulate_numpy_compare.py --n N [--min-time 0.5]
NumPy alone, one size: repeats eigvalsh until --min-time seconds have passed (at least once) and
prints {"n": N, "wall": mean seconds, "runs": count} as one JSON line, the way Google Benchmark
reports BM_DenseEigenvalues; benchmarks/idle_harness.py (section simlayer) runs it per process.
"""
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402  (after fixing the BLAS thread count)


def goe(n):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    return (a + a.T) / np.sqrt(2)


def numpy_mean(n, min_time):
    w = goe(n)
    runs, t0 = 0, time.perf_counter()
    while runs == 0 or time.perf_counter() - t0 < min_time:
        np.linalg.eigvalsh(w)
        runs += 1
    return {"n": n, "wall": (time.perf_counter() - t0) / runs, "runs": runs}


def numpy_median(n, reps):
    w = goe(n)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        np.linalg.eigvalsh(w)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    if "--n" in sys.argv:
        min_time = float(sys.argv[sys.argv.index("--min-time") + 1]) if "--min-time" in sys.argv else 0.5
        print(json.dumps(numpy_mean(int(sys.argv[sys.argv.index("--n") + 1]), min_time)))
        return
    build = sys.argv[1] if len(sys.argv) > 1 else "build/release"
    reps = int(sys.argv[sys.argv.index("--repetitions") + 1]) if "--repetitions" in sys.argv else 5
    binary = os.path.join(build, "benchmarks", "simulate_bench")
    out = subprocess.run([binary, "--benchmark_filter=BM_DenseEigenvalues", f"--benchmark_repetitions={reps}",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True).stdout
    ours = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            n = int(b["run_name"].split("/")[1])
            ours[n] = b["real_time"] / 1000.0  # ms -> s
    print("| n | batchrmt dsyevd median (s) | numpy eigvalsh median (s) | ratio batchrmt/NumPy |")
    print("|---|---|---|---|")
    for n in sorted(ours):
        theirs = numpy_median(n, reps)
        print(f"| {n} | {ours[n]:.3f} | {theirs:.3f} | {ours[n] / theirs:.2f} |")


if __name__ == "__main__":
    main()
