#!/usr/bin/env bash
# Fails if a layer includes what the layering rule (README.md) forbids it:
#   <torch/...> or <ATen/...> outside networks/ (and apps/torch/, the CLI of networks),
#   H5Cpp.h / hdf5.h outside outputs/,
#   theory/ including spectral, simulate, networks, outputs, verify or apps headers,
#   core/ including any other layer, spectral/ or outputs/ including anything but core/,
#   networks/ including anything but core/ and spectral/ (no theory/ formulas, no outputs/),
#   simulate/ including networks/, verify/ or apps/; verify/ including apps/,
#   <mpi.h> outside core/mpi_context.cpp.
set -u
root="${1:?usage: check_layering.sh REPO_ROOT}"
cd "$root" || exit 2
status=0
report() { echo "layering violation: $1"; status=1; }

src_dirs="core theory spectral simulate networks outputs verify apps benchmarks"
while IFS= read -r hit; do
  case "$hit" in
    networks/*|apps/torch/*|tests/networks/*|benchmarks/networks_*) ;;
    *) report "$hit (LibTorch headers belong in networks/ only)";;
  esac
done < <(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](torch|ATen|c10)/' $src_dirs tests 2>/dev/null | grep -v '^tests/check_layering.sh')

while IFS= read -r hit; do
  case "$hit" in
    outputs/*|tests/outputs/*) ;;
    *) report "$hit (HDF5 headers belong in outputs/ only)";;
  esac
done < <(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](H5Cpp\.h|hdf5\.h|H5[A-Za-z]*\.h)' $src_dirs tests 2>/dev/null)

# forbid DIR LAYERS WHY: DIR may not include "LAYER/..." for any LAYER in the |-list LAYERS.
forbid() {
  local dir="$1" layers="$2" why="$3" hit
  while IFS= read -r hit; do
    report "$hit ($why)"
  done < <(grep -rnE '#[[:space:]]*include[[:space:]]*"('"$layers"')/' "$dir" 2>/dev/null)
}
forbid core 'theory|spectral|simulate|networks|outputs|verify|apps' "core/ may include no other layer"
forbid theory 'spectral|simulate|networks|outputs|verify|apps' "theory/ may include only core/"
forbid spectral 'theory|simulate|networks|outputs|verify|apps' "spectral/ may include only core/"
forbid outputs 'theory|spectral|simulate|networks|verify|apps' "outputs/ may include only core/"
forbid networks 'theory|simulate|outputs|verify|apps' \
  "networks/ may include only core/ and spectral/: formulas belong in theory/, files in outputs/, joined in verify/"
forbid simulate 'networks|verify|apps' "simulate/ may include only core/, theory/, spectral/ and outputs/"
forbid verify 'apps' "verify/ may not include apps/"

while IFS= read -r hit; do
  case "$hit" in
    core/mpi_context.cpp:*) ;;
    *) report "$hit (<mpi.h> belongs in core/mpi_context.cpp only; use core/mpi_context.hpp)";;
  esac
done < <(grep -rnE '#[[:space:]]*include[[:space:]]*[<"]mpi\.h[>"]' $src_dirs tests 2>/dev/null)

if [ $status -eq 0 ]; then echo "layering: all include rules hold"; fi
exit $status
