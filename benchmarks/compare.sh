#!/usr/bin/env bash
# Side-by-side CPU benchmarks, each measured against its reference in the same run:
# benchmarks/run_idle.sh, one case per process, medians of 3, load flagged. Among its sections:
# simlayer (dense eigenvalues: LAPACK dsyevd vs NumPy eigvalsh, n = 1000, 2000, 4000), curvature
# (operator / raw LibTorch / PyTorch in Python, side by side), lanczos, fulldata, training (vs
# PyTorch), spectral (against the copy bandwidth and dsyevd), mpi (against 1 rank x 1 thread),
# devicebasis (against the host basis).
# Usage: benchmarks/compare.sh [BUILD_DIR] [run_idle.sh options, e.g. --sections simlayer,curvature]
# Needs what run_idle.sh needs (scripts/install-deps.sh --bench and a release build with
# benchmarks). Prints Markdown tables for docs/performance.md.
set -euo pipefail
exec "$(dirname "$0")/run_idle.sh" "$@"
