#!/usr/bin/env bash
# Data-parallel curvature over MPI: time of one full-data Hessian-vector product on
# Fashion-MNIST (all 60,000 training images) against the number of MPI ranks, peak memory per
# rank, and the communication volume per product; optionally the default job (`reproduce`)
# with one process and with the ranks.
#
# Usage: benchmarks/mpi_scaling.sh [BUILD_DIR] [MODEL] [PRODUCTS] [--with-reproduce]
#        (default build/release, lenet, 3 products per configuration)
# Configurations, measured in the same run: 1 rank x 1 thread, 1 rank x R threads, R ranks x
# 1 thread for R = 2 .. nproc. Per-product time = the full run's operator_seconds / applications
# from the HDF5 file (rank 0's view: its shard, the broadcast of x and the reduction of y).
# Needs mpirun (scripts/install-deps.sh installs OpenMPI), /usr/bin/time and h5py.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
model="${2:-lenet}"
products="${3:-3}"
with_reproduce=0
[[ "${4:-}" == "--with-reproduce" ]] && with_reproduce=1
bin="$build/batchrmt"
py=/usr/bin/python3
[[ -x "$bin" ]] || { echo "mpi_scaling: $bin is missing; build first (make build)." >&2; exit 2; }
command -v mpirun >/dev/null || { echo "mpi_scaling: mpirun is missing; run scripts/install-deps.sh." >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "mpi_scaling: /usr/bin/time is missing (Debian package time)." >&2; exit 2; }
export OMP_WAIT_POLICY=PASSIVE
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpi="mpirun --allow-run-as-root --oversubscribe"
cores=$(nproc)

echo "# mpi_scaling.sh on $(hostname), $(date -u '+%Y-%m-%d %H:%M UTC'), $cores cores, load $(cut -d' ' -f1-3 /proc/loadavg), model $model, $products products"
echo
echo "| ranks x threads | s per full-data HVP | speed-up vs 1 x 1 | peak RSS per rank (MiB) | sent + received per rank per HVP (MiB) |"
echo "|---|---|---|---|---|"
base=""
run_case() {  # ranks threads
  local ranks=$1 threads=$2 out="$work/r${1}t${2}.h5"
  local args="spectrum --model $model --dataset fashion-mnist --batch-sizes full --lanczos-steps $products --threads $threads --quiet --out $out"
  if [[ $ranks -eq 1 ]]; then
    /usr/bin/time -f "%M" -o "$work/rss.0" "$bin" $args >/dev/null
  else
    $mpi -np "$ranks" sh -c "/usr/bin/time -f %M -o $work/rss.\$OMPI_COMM_WORLD_RANK $bin $args" >/dev/null
  fi
  "$py" - "$out" "$ranks" "$threads" "$work" "${base:-0}" <<'PY'
import glob, sys, h5py
out, ranks, threads, work, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
f = h5py.File(out, "r")
a = f["spectrum/full"].attrs
per = float(a["operator_seconds"]) / float(a["applications"])
P = int(f["spectrum"].attrs["P"])
rss = []
for p in sorted(glob.glob(work + "/rss.*")):
    try:
        rss.append(int(open(p).read().split()[-1]) / 1024)
    except (ValueError, IndexError):
        pass
volume = 0.0 if ranks == 1 else 2 * 8 * P / 2**20  # x broadcast + y reduced, float64
speed = base / per if base > 0 else 1.0
print(f"| {ranks} x {threads} | {per:.3f} | {speed:.2f} | {max(rss) if rss else float('nan'):.0f} | {volume:.2f} (P = {P}) |")
open(work + "/last", "w").write(f"{per}")
PY
  rm -f "$work"/rss.*
}
run_case 1 1
base=$(cat "$work/last")
for ((r = 2; r <= cores; ++r)); do
  run_case 1 "$r"
  run_case "$r" 1
done

if [[ $with_reproduce -eq 1 ]]; then
  echo
  echo "| default job (configs/default.toml, no plots) | wall s |"
  echo "|---|---|"
  timed() { local s0 s1; s0=$(date +%s.%N); "$@" >/dev/null 2>&1; s1=$(date +%s.%N); "$py" -c "print(f'{$s1 - $s0:.0f}')"; }
  echo "| 1 process x 1 thread | $(timed "$bin" --threads 1 reproduce --no-plots --out "$work/rep1.h5") |"
  echo "| 1 process x $cores threads | $(timed "$bin" --threads "$cores" reproduce --no-plots --out "$work/rep2.h5") |"
  echo "| $cores ranks x 1 thread | $(timed $mpi -np "$cores" "$bin" --threads 1 reproduce --no-plots --out "$work/repm.h5") |"
fi
