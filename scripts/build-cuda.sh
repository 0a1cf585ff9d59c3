#!/usr/bin/env bash
# Builds batchrmt against the LibTorch inside a PyTorch installation (CUDA LibTorch 2.x), on
# a machine with CUDA, g++, CMake, Eigen, Boost, HDF5 and a LAPACK/BLAS, and the header-only
# dependencies staged beforehand by scripts/stage-headers.sh (no network needed):
#   scripts/build-cuda.sh STAGED_DIR [BUILD_DIR]      (default build/cuda)
# Environment: PYTHON (default python3) — the interpreter whose torch to use; JOBS;
# BATCHRMT_TESTS, BATCHRMT_BENCHMARKS: ON, OFF or AUTO (default: built where GTest / Google
# Benchmark are installed, skipped with a message otherwise).
set -euo pipefail
staged="${1:?usage: scripts/build-cuda.sh STAGED_DIR [BUILD_DIR]}"
build="${2:-build/cuda}"
python="${PYTHON:-python3}"
cd "$(dirname "$0")/.."
[[ -d "$staged/include" ]] || { echo "build-cuda: $staged/include does not exist; run scripts/stage-headers.sh $staged on a Debian machine first." >&2; exit 2; }
prefix="$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)" ||
  { echo "build-cuda: $python cannot import torch; set PYTHON to the interpreter of your PyTorch installation." >&2; exit 2; }
cuda="$("$python" -c 'import torch; print(torch.version.cuda or "none")')"
echo "build-cuda: LibTorch from $prefix (torch $("$python" -c 'import torch; print(torch.__version__)'), CUDA $cuda)"
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
# PyTorch wheels are built with the pre-C++11 std::string ABI or the new one; TorchConfig
# exports the right _GLIBCXX_USE_CXX11_ABI, and every batchrmt target inherits it through
# the torch target. HDF5 and other system C++ libraries must match it: batchrmt talks to
# them through C or header-only interfaces except HDF5's C++ API, hence the check below.
abi="$("$python" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')"
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DBATCHRMT_WITH_TORCH=ON \
  -DCMAKE_PREFIX_PATH="$prefix" -DBATCHRMT_STAGED_HEADERS="$(cd "$staged" && pwd)" \
  -DBATCHRMT_TORCH_CXX11_ABI="$abi" -DBATCHRMT_BUILD_TESTS="${BATCHRMT_TESTS:-AUTO}" \
  -DBATCHRMT_BUILD_BENCHMARKS="${BATCHRMT_BENCHMARKS:-AUTO}"
cmake --build "$build" -j "${JOBS:-$(nproc)}"
echo "build-cuda: built $build/batchrmt ($("$build"/batchrmt --version))"
