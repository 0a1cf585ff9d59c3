#!/usr/bin/env bash
# Chaos test (docs/reliability.md, "Chaos"): kill -9 at seeded random points of simulate, spectrum and train,
# then --resume, and compare with an uninterrupted run bit for bit (tests/reliability/
# chaos_compare.py: every dataset and attribute but wall-clock records).
#   tests/reliability/chaos_test.sh BATCHRMT [TRIALS=10] [SEED=16]
# For each command: one uninterrupted reference run (its wall time T), then TRIALS runs
# killed with SIGKILL after a delay drawn uniformly from (0, T) by a seeded generator, each
# followed by --resume until it exits 0 (at most 5 resumes; a kill after the rename leaves a
# finished file that is compared as it is). Prints one line per trial and a summary; exits 1
# on any difference or failed resume.
set -uo pipefail
cli="${1:?usage: chaos_test.sh BATCHRMT [TRIALS] [SEED]}"
trials="${2:-10}"
seed="${3:-16}"
here="$(cd "$(dirname "$0")" && pwd)"
compare=(/usr/bin/python3 "$here/chaos_compare.py")
work="$(mktemp -d "${TMPDIR:-/tmp}/batchrmt_chaos.XXXXXX")"
trap 'rm -rf "$work"' EXIT
RANDOM=$seed

# Tiny synthetic-data runs: a few seconds each, several units so that kills land mid-run.
declare -A cmd
cmd[simulate]="--seed 7 --threads 1 simulate spiked-wigner --n 300 --theta 2 --trials 40"
cmd[spectrum]="--seed 7 --threads 1 spectrum --model linear --dataset synthetic --synthetic-train 256 --synthetic-classes 4 --batch-sizes full,16,64 --subsets 6 --lanczos-steps 20 --noise-samples 0 --quiet"
cmd[train]="--seed 7 --threads 1 train --model linear --dataset synthetic --synthetic-train 512 --synthetic-test 128 --synthetic-classes 4 --epochs 8 --batch-size 32 --checkpoint-every 1 --quiet"

failures=0
total=0
for name in simulate spectrum train; do
  ref="$work/$name-ref.h5"
  t0=$(date +%s%N)
  if ! $cli ${cmd[$name]} --out "$ref" >"$work/ref.log" 2>&1; then
    echo "chaos: $name: the uninterrupted run failed:"; cat "$work/ref.log"; exit 1
  fi
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "chaos: $name: uninterrupted run ${ms} ms"
  for t in $(seq 1 "$trials"); do
    total=$((total + 1))
    out="$work/$name-$t.h5"
    delay_ms=$(( (RANDOM * 32768 + RANDOM) % (ms > 1 ? ms : 1) ))
    $cli ${cmd[$name]} --out "$out" >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    resumes=0
    while [[ ! -f "$out" && $resumes -lt 5 ]]; do
      resumes=$((resumes + 1))
      $cli ${cmd[$name]} --resume --out "$out" >"$work/resume.log" 2>&1
      rc=$?
      [[ $rc -eq 0 ]] && continue
      echo "chaos: $name trial $t: --resume after a kill at ${delay_ms} ms exited $rc:"; tail -3 "$work/resume.log"
      break
    done
    if [[ -f "$out" ]] && "${compare[@]}" "$ref" "$out"; then
      echo "chaos: $name trial $t: killed at ${delay_ms} ms, $resumes resume(s), identical"
    else
      echo "chaos: $name trial $t: killed at ${delay_ms} ms, $resumes resume(s): NOT identical or not finished"
      failures=$((failures + 1))
    fi
  done
done
echo "chaos: $total kill/resume trials, $failures lost or different"
[[ $failures -eq 0 ]]
