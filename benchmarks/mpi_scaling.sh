#!/usr/bin/env bash
# Data-parallel curvature over MPI: time of one full-data Hessian-vector product of lenet on
# Fashion-MNIST (all 60,000 training images) for 1 rank x 1 thread, 1 rank x R threads and
# R ranks x 1 thread (R = 2 .. nproc), against 1 x 1 in the same run, with the peak memory per
# rank and the communication volume per product; with --with-reproduce also the default job
# (`reproduce`) with one process, with nproc threads and with nproc ranks.
#
# Usage: benchmarks/mpi_scaling.sh [BUILD_DIR] [--with-reproduce] [run_idle.sh options]
# It is the section mpi of benchmarks/run_idle.sh (benchmarks/idle_scaling.py): one job per
# configuration and repetition, medians of --reps (default 3) jobs, load flagged.
# Needs mpirun (scripts/install-deps.sh installs OpenMPI), /usr/bin/time and h5py.
set -euo pipefail
here="$(dirname "$0")"
args=()
build="build/release"
if [[ $# -gt 0 && "$1" != --* ]]; then build="$1"; shift; fi
for arg in "$@"; do
  if [[ "$arg" == "--with-reproduce" ]]; then args+=(--long); else args+=("$arg"); fi
done
command -v mpirun >/dev/null || { echo "mpi_scaling: mpirun is missing; run scripts/install-deps.sh." >&2; exit 2; }
exec "$here/run_idle.sh" "$build" --sections mpi "${args[@]}"
