#!/usr/bin/python3
"""Dense symmetric eigenvalues: batchrmt (LAPACK dsyevd via LAPACKE/OpenBLAS) against
numpy.linalg.eigvalsh, same sizes, same machine, same run, one BLAS thread each.

Usage: /usr/bin/python3 benchmarks/simulate_numpy_compare.py BUILD_DIR [--repetitions 5]
Prints a Markdown table (median seconds, ratio batchrmt / NumPy) for docs/performance.md.
"""
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402  (after fixing the BLAS thread count)


def numpy_median(n, reps):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    w = (a + a.T) / np.sqrt(2)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        np.linalg.eigvalsh(w)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
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
    print(f"| n | batchrmt dsyevd median (s) | numpy eigvalsh median (s) | ratio batchrmt/NumPy |")
    print("|---|---|---|---|")
    for n in sorted(ours):
        theirs = numpy_median(n, reps)
        print(f"| {n} | {ours[n]:.3f} | {theirs:.3f} | {ours[n] / theirs:.2f} |")


if __name__ == "__main__":
    main()
