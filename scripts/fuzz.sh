#!/usr/bin/env bash
# Fuzzing campaigns of the readers of untrusted files (make fuzz; docs/reliability.md).
#   scripts/fuzz.sh BUILD_DIR RUNS MAX_SECONDS [READER...]      readers: idx cifar jpeg toml store arrays
# For each reader: libFuzzer runs RUNS executions (MAX_SECONDS is a guard) starting from the
# committed corpus tests/fuzz/corpus/READER/, then `-merge=1` keeps a minimal set of inputs
# with the same coverage and that set replaces the committed one (seed-* and crash-* files
# are always kept). A crash stops the campaign; its input is copied into the corpus as
# crash-<sha1> (a regression input the replay runs from then on) and the script exits 1.
# The executions of each campaign go to BUILD_DIR/fuzz-stats/READER.txt.
# Environment: FUZZ_SEED=N fixes libFuzzer's seed (with RUNS as the bound, a run is then
# repeatable); FUZZ_MERGE=0 leaves the committed corpus as it is (CI's short runs: `make
# fuzz-ci`), findings are still copied into it so that they can be committed.
set -euo pipefail
build="${1:?usage: scripts/fuzz.sh BUILD_DIR RUNS MAX_SECONDS [READER...]}"
runs="${2:?runs}"
max_time="${3:?max seconds}"
shift 3
readers=("$@")
[[ ${#readers[@]} -eq 0 ]] && readers=(idx cifar jpeg toml store arrays)
root="$(cd "$(dirname "$0")/.." && pwd)"
stats="$build/fuzz-stats"
mkdir -p "$stats"
declare -A max_len=([idx]=4096 [cifar]=8192 [jpeg]=16384 [toml]=2048 [store]=32768 [arrays]=32768)
status=0
for r in "${readers[@]}"; do
  bin="$build/tests/fuzz/fuzz_$r"
  corpus="$root/tests/fuzz/corpus/$r"
  [[ -x "$bin" ]] || { echo "fuzz: $bin is not built (make fuzz builds it)." >&2; exit 2; }
  work="$(mktemp -d)"
  artifacts="$(mktemp -d)"
  cp "$corpus"/* "$work"/
  echo "fuzz: $r: $runs executions at most, $max_time s at most, from $(ls "$corpus" | wc -l) inputs"
  set +e
  "$bin" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} -runs="$runs" -max_total_time="$max_time" -max_len="${max_len[$r]}" -timeout=20 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" >"$stats/$r.log" 2>&1
  rc=$?
  set -e
  grep -E '^stat::number_of_executed_units|^stat::new_units_added|^stat::peak_rss_mb' "$stats/$r.log" | tee "$stats/$r.txt" || true
  for a in "$artifacts"/*; do
    [[ -e "$a" ]] || continue
    kind="$(basename "$a" | cut -d- -f1)"  # crash, leak, timeout, oom, slow-unit
    cp "$a" "$corpus/$kind-$(sha1sum "$a" | cut -c1-16)"
    echo "fuzz: $r: finding $(basename "$a") saved as $corpus/$kind-$(sha1sum "$a" | cut -c1-16)" | tee -a "$stats/$r.txt"
  done
  if [[ $rc -ne 0 ]]; then
    echo "fuzz: $r: libFuzzer exited $rc; see $stats/$r.log" >&2
    status=1
  fi
  if [[ "${FUZZ_MERGE:-1}" == 0 ]]; then
    rm -rf "$work" "$artifacts"
    continue
  fi
  # Minimise: inputs that add coverage, plus the seeds and the crashers.
  merged="$(mktemp -d)"
  "$bin" -merge=1 -max_len="${max_len[$r]}" -timeout=20 "$merged" "$work" >"$stats/$r.merge.log" 2>&1 || true
  find "$corpus" -maxdepth 1 -type f ! -name 'seed-*' ! -name 'crash-*' ! -name 'leak-*' ! -name 'timeout-*' \
    ! -name 'oom-*' -delete
  kept="$(sha1sum "$corpus"/* | cut -d' ' -f1)"
  for f in "$merged"/*; do
    [[ -e "$f" ]] || continue
    grep -qx "$(sha1sum "$f" | cut -d' ' -f1)" <<<"$kept" || cp "$f" "$corpus/"
  done
  echo "fuzz: $r: corpus now $(ls "$corpus" | wc -l) files, $(du -sk "$corpus" | cut -f1) KiB"
  rm -rf "$work" "$artifacts" "$merged"
done
exit $status
