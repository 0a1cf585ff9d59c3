#!/usr/bin/env bash
# Side-by-side CPU benchmarks, each measured against its reference in the same run:
#   1. dense symmetric eigenvalues: batchrmt (LAPACK dsyevd) vs NumPy eigvalsh (n = 1000, 2000, 4000)
#   2. training step: batchrmt (LibTorch C++) vs PyTorch in Python, lenet and vgg16bn
#   3. gradient / Hessian-vector product / Lanczos step: batchrmt vs a PyTorch-in-Python loop
# Usage: benchmarks/compare.sh [BUILD_DIR] [THREADS]     (default build/release, 1 thread)
# Needs Debian's python3-numpy and python3-torch (scripts/install-deps.sh --bench), and a build
# with benchmarks (cmake --preset release). Prints Markdown tables for docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
threads="${2:-1}"
py=/usr/bin/python3   # Debian's interpreter: the one that sees python3-numpy / python3-torch
export OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS="$threads"
for bin in simulate_bench networks_train_bench networks_hvp_bench; do
  [[ -x "$build/benchmarks/$bin" ]] || { echo "compare: $build/benchmarks/$bin is missing; build with 'cmake --build --preset release' first." >&2; exit 2; }
done
"$py" -c 'import numpy, torch' 2>/dev/null || { echo "compare: $py lacks numpy or torch; run scripts/install-deps.sh --bench." >&2; exit 2; }
echo "# compare.sh on $(hostname), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), threads $threads"
echo; echo "## Dense eigenvalues vs NumPy"
"$py" benchmarks/simulate_numpy_compare.py "$build" --repetitions 3
echo; echo "## Training step vs PyTorch"
"$py" benchmarks/networks_pytorch_compare.py --bench "$build/benchmarks/networks_train_bench" --threads "$threads"
echo; echo "## Gradient, HVP and Lanczos step vs PyTorch"
"$py" benchmarks/networks_hvp_pytorch_compare.py --bench "$build/benchmarks/networks_hvp_bench" --threads "$threads"
