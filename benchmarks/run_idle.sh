#!/usr/bin/env bash
# The performance figures of docs/performance.md in one command, one case per process, medians of
# 3 processes, load recorded and flagged, a process rerun when the host's memory bandwidth fell
# during it (benchmarks/idle_harness.py says how). Run it on an
# otherwise idle machine (no builds, tests or other runs alongside). All sections take about
# 65 minutes on 2 cores; `idle_harness.py --help` gives each section's time.
# Usage: benchmarks/run_idle.sh [BUILD_DIR] [harness options: --sections curvature,order,lanczos,
#        fulldata,simulate,training,theory,spectral,simlayer,mpi,devicebasis --reps N --long
#        --only REGEX --smoke]
# Needs a release build with benchmarks (cmake --preset release && cmake --build --preset release),
# Debian's python3-torch / python3-numpy / python3-h5py (scripts/install-deps.sh --bench), and for
# the section mpi OpenMPI's mpirun and /usr/bin/time (that section is skipped without mpirun).
set -euo pipefail
cd "$(dirname "$0")/.."
build="build/release"
if [[ $# -gt 0 && "$1" != --* ]]; then build="$1"; shift; fi
py=/usr/bin/python3
"$py" -c 'import numpy, torch' 2>/dev/null || { echo "run_idle: $py lacks numpy or torch; run scripts/install-deps.sh --bench." >&2; exit 2; }
# The harness checks that the binaries of the chosen sections are built.
exec "$py" benchmarks/idle_harness.py --build "$build" "$@"
