#!/usr/bin/env bash
# Side-by-side CPU benchmarks, each measured against its reference in the same run:
#   1. dense symmetric eigenvalues: batchrmt (LAPACK dsyevd) vs NumPy eigvalsh (n = 1000, 2000, 4000)
#   2. everything of benchmarks/run_idle.sh: curvature products (operator / raw LibTorch / PyTorch
#      in Python, side by side), Lanczos step / HVP, full-data products, the N = 1e7 CLI run and the
#      training step vs PyTorch; one case per process, medians of 3, load flagged.
# Usage: benchmarks/compare.sh [BUILD_DIR] [run_idle.sh options]
# Needs Debian's python3-numpy and python3-torch (scripts/install-deps.sh --bench), and a build
# with benchmarks (cmake --preset release). Prints Markdown tables for docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build="build/release"
if [[ $# -gt 0 && "$1" != --* ]]; then build="$1"; shift; fi
py=/usr/bin/python3   # Debian's interpreter: the one that sees python3-numpy / python3-torch
[[ -x "$build/benchmarks/simulate_bench" ]] || { echo "compare: $build/benchmarks/simulate_bench is missing; build with 'cmake --build --preset release' first." >&2; exit 2; }
"$py" -c 'import numpy' 2>/dev/null || { echo "compare: $py lacks numpy; run scripts/install-deps.sh --bench." >&2; exit 2; }
echo "# compare.sh on $(hostname), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo; echo "## Dense eigenvalues vs NumPy (1 BLAS thread)"
OPENBLAS_NUM_THREADS=1 "$py" benchmarks/simulate_numpy_compare.py "$build" --repetitions 3
echo "(load after: $(cut -d' ' -f1-3 /proc/loadavg))"
echo; echo "## run_idle.sh"
benchmarks/run_idle.sh "$build" "$@"
