#!/usr/bin/env bash
# GPU check: builds batchrmt against the CUDA LibTorch of this machine's PyTorch, runs
# the curvature self-checks on the GPU (float64 HVP vs central finite differences, symmetry,
# GGN checks), then times gradient, HVP (fresh and reused graph) and a Lanczos step for
# vgg16bn, preresnet-110 and wrn-28-10 on CIFAR-shaped random input (batch 128, float32,
# eval-mode BatchNorm; products timed on the device without host copies, the Lanczos basis on
# the GPU). Writes OUT_DIR/gpu-check.json and prints a table last.
#   scripts/gpu-check.sh [STAGED_HEADERS_DIR] [OUT_DIR]
# STAGED_HEADERS_DIR (from scripts/stage-headers.sh) is needed only where Spectra, CLI11, toml++
# or nlohmann-json are not installed. Budget: under 5 minutes on one H100-class GPU after the build.
# Smoke test of the script itself on a CPU machine (same commands, tiny sizes, no CUDA build):
#   GPU_CHECK_BUILD=build/release GPU_CHECK_DEVICE=cpu GPU_CHECK_BATCH=2 GPU_CHECK_REPEATS=1 \
#   GPU_CHECK_STEPS=3 scripts/gpu-check.sh "" /tmp/gpu-check-smoke
set -euo pipefail
cd "$(dirname "$0")/.."
staged="${1:-}"
out="${2:-${OUT:-results/gpu-check}}"
mkdir -p "$out"
device="${GPU_CHECK_DEVICE:-cuda}"
batch="${GPU_CHECK_BATCH:-128}"
repeats="${GPU_CHECK_REPEATS:-10}"
steps="${GPU_CHECK_STEPS:-30}"
# float32 Lanczos vectors, like the float32 network and the reference Python loop (a float64
# basis doubles the reorthogonalisation traffic: GPU_CHECK_BASIS=float64 to time it).
basis="${GPU_CHECK_BASIS:-float32}"
build="${GPU_CHECK_BUILD:-build/cuda}"
if [[ -n "${GPU_CHECK_BUILD:-}" ]]; then
  [[ -x "$build/batchrmt" ]] || { echo "gpu-check: $build/batchrmt is missing." >&2; exit 2; }
elif [[ -n "$staged" ]]; then
  scripts/build-cuda.sh "$staged" "$build"
else
  mkdir -p /tmp/batchrmt-empty-stage/include
  scripts/build-cuda.sh /tmp/batchrmt-empty-stage "$build"
fi
bin="$build/batchrmt"
export OMP_WAIT_POLICY=PASSIVE
"$bin" --json --threads 4 spectrum --self-check --model lenet --dataset synthetic --device "$device" \
  --out "$out/self-check.h5" --overwrite > "$out/self-check.json"
echo "self-check: $(cat "$out/self-check.json" | head -c 400)"
results=()
for m in vgg16bn preresnet-110 wrn-28-10; do
  "$bin" --json bench curvature --model "$m" --device "$device" --dtype float32 --batchnorm eval --batch "$batch" \
    --channels 3 --side 32 --classes 100 --lanczos-steps "$steps" --repeats "$repeats" --basis "$basis" \
    > "$out/bench-$m.json"
  results+=("$out/bench-$m.json")
done
python3 - "$out" "${results[@]}" <<'PY'
import json, sys
out, files = sys.argv[1], sys.argv[2:]
rows = [json.load(open(f)) for f in files]
# Reference: PyTorch 2.11 in Python on one H100, same batch, dtype and BN mode.
ref = {"vgg16bn": (15.5, 5.2, 43), "preresnet": (151, 35.9, 178), "wrn": (106, 35.1, 141)}
json.dump(rows, open(out + "/gpu-check.json", "w"), indent=1)
print("| model | grad ms | HVP fresh ms | HVP reused ms | Lanczos step ms (HVP + reorth, basis place, dtype) | HVP/grad | step/HVP | Python HVP ms | Python step ms |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    key = next((k for k in ref if r["model"].startswith(k)), None)
    py = ref.get(key, (float("nan"),) * 3)
    print(f"| {r['model']} | {r['gradient_ms']:.1f} | {r['hvp_fresh_ms']:.1f} | {r['hvp_reused_ms']:.1f} | "
          f"{r['lanczos_step_ms']:.1f} ({r['lanczos_step_hvp_ms']:.1f} + {r['lanczos_step_reorth_ms']:.1f}, {r['lanczos_basis']}, {r['lanczos_basis_dtype']}) | "
          f"{r['hvp_over_gradient']:.2f} | {r['lanczos_step_over_hvp']:.2f} | {py[0]} | {py[2]} |")
PY
