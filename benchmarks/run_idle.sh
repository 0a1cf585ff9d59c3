#!/usr/bin/env bash
# The performance figures of docs/performance.md in one command, one case per process, medians of
# 3 processes, load recorded and flagged (benchmarks/idle_harness.py says how). Run it on an
# otherwise idle machine (no builds, tests or other runs alongside); about 15 minutes on 2 cores.
# Usage: benchmarks/run_idle.sh [BUILD_DIR] [harness options: --sections curvature,order,...
#        --reps N --long]
# Needs a release build with benchmarks (cmake --preset release && cmake --build --preset release)
# and Debian's python3-torch / python3-numpy (scripts/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
build="build/release"
if [[ $# -gt 0 && "$1" != --* ]]; then build="$1"; shift; fi
py=/usr/bin/python3
for bin in batchrmt benchmarks/simulate_bench benchmarks/networks_hvp_bench benchmarks/networks_train_bench; do
  [[ -x "$build/$bin" ]] || { echo "run_idle: $build/$bin is missing; build with 'cmake --build --preset release' first." >&2; exit 2; }
done
"$py" -c 'import numpy, torch' 2>/dev/null || { echo "run_idle: $py lacks numpy or torch; run scripts/install-deps.sh --bench." >&2; exit 2; }
exec "$py" benchmarks/idle_harness.py --build "$build" "$@"
