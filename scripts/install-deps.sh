#!/usr/bin/env bash
# Installs batchrmt's build and run dependencies from Debian 12's archive. Idempotent:
# installs only what is missing and says what it did. As root it runs apt-get itself; as
# another user it uses sudo when present, otherwise prints the exact command and stops.
#
#   scripts/install-deps.sh            everything the build and the tests need (LibTorch included, and
#                                      python3-torch, whose TorchScript exports the tests load)
#   scripts/install-deps.sh --notorch  without libtorch-dev and python3-torch (theory/simulation work)
#   scripts/install-deps.sh --bench    the same as without options (the benchmark scripts use python3-torch)
#   scripts/install-deps.sh --fuzz     without libtorch-dev, with clang and its libFuzzer runtime (make fuzz)
set -euo pipefail

packages=(
  g++ cmake ninja-build make git ccache pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libeigen3-dev libboost-dev libhdf5-dev hdf5-tools
  libspectra-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libopenblas-dev liblapacke-dev
  libopenmpi-dev openmpi-bin
  libturbojpeg0-dev
  dataset-fashion-mnist
  python3 python3-matplotlib python3-h5py python3-numpy python3-mpmath
)
case "${1:-}" in
  --notorch) ;;
  --bench) packages+=(libtorch-dev python3-torch) ;;
  --fuzz) packages+=(clang libclang-rt-dev) ;;
  "") packages+=(libtorch-dev python3-torch) ;;
  *) echo "install-deps: option '$1' is not known; use --notorch, --bench, --fuzz or nothing." >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} Debian packages are already installed."
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  run=()
elif command -v sudo >/dev/null 2>&1; then
  run=(sudo)
else
  echo "install-deps: not root and no sudo; run this as root, then rerun make:"
  echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists when they are missing or older than a day.
lists=/var/lib/apt/lists
if [[ -z "$(find "$lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]]; then
  echo "install-deps: apt-get update"
  "${run[@]}" apt-get update -qq
fi
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done (${missing[*]})."
