#!/usr/bin/env bash
# Fails if a layer includes what the layering rule (README.md) forbids it:
#   <torch/...> or <ATen/...> outside networks/ (and apps/torch/, the CLI of networks),
#   H5Cpp.h / hdf5.h outside outputs/,
#   theory/ including spectral, simulate, networks, outputs, verify or apps headers,
#   core/ including any other layer,
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

while IFS= read -r hit; do
  report "$hit (theory/ may include only core/)"
done < <(grep -rnE '#[[:space:]]*include[[:space:]]*"(spectral|simulate|networks|outputs|verify|apps)/' theory 2>/dev/null)

while IFS= read -r hit; do
  report "$hit (core/ may include no other layer)"
done < <(grep -rnE '#[[:space:]]*include[[:space:]]*"(theory|spectral|simulate|networks|outputs|verify|apps)/' core 2>/dev/null)

while IFS= read -r hit; do
  report "$hit (spectral/ may include only core/)"
done < <(grep -rnE '#[[:space:]]*include[[:space:]]*"(theory|simulate|networks|outputs|verify|apps)/' spectral 2>/dev/null)

while IFS= read -r hit; do
  case "$hit" in
    core/mpi_context.cpp:*) ;;
    *) report "$hit (<mpi.h> belongs in core/mpi_context.cpp only; use core/mpi_context.hpp)";;
  esac
done < <(grep -rnE '#[[:space:]]*include[[:space:]]*[<"]mpi\.h[>"]' $src_dirs tests 2>/dev/null)

if [ $status -eq 0 ]; then echo "layering: all include rules hold"; fi
exit $status
