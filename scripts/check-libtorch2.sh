#!/usr/bin/env bash
# Builds and tests batchrmt against LibTorch 2.x on a machine that has only Debian 12's 1.13:
# a Debian 13 (trixie) chroot brings LibTorch 2.6 (CPU), g++ 14 and HDF5 1.14, and the build goes
# through scripts/build-cuda.sh exactly as on a CUDA machine (LibTorch found through the Python
# torch, header-only dependencies staged by scripts/stage-headers.sh). What it cannot check is
# CUDA itself (scripts/gpu-check.sh on a GPU does).
#   sudo scripts/check-libtorch2.sh [CHROOT_DIR]      (default /var/tmp/batchrmt-trixie)
# Needs root, debootstrap (Debian: debootstrap) and the Debian archive; ~1.5 GB of packages,
# about 40 minutes on 2 cores, most of it the build. Re-running reuses the chroot and its ccache.
# Environment: CTEST_ARGS (default "-j2 --output-on-failure"), TESTS (ON or OFF; default ON).
set -euo pipefail
root="${1:-/var/tmp/batchrmt-trixie}"
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "check-libtorch2: needs root (debootstrap, chroot)." >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "check-libtorch2: install debootstrap first (apt-get install debootstrap)." >&2; exit 2; }
if [[ ! -x "$root/usr/bin/apt-get" ]]; then
  debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
for m in proc sys dev; do mountpoint -q "$root/$m" || mount --bind "/$m" "$root/$m"; done
trap 'for m in proc sys dev; do umount "$root/$m" 2>/dev/null || true; done' EXIT
chroot "$root" bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build make pkg-config ccache libeigen3-dev libboost-dev libhdf5-dev libopenblas-dev liblapacke-dev \
  libtorch-dev python3-torch python3-numpy python3-h5py python3-matplotlib python3-mpmath \
  libopenmpi-dev openmpi-bin libgtest-dev libgmock-dev libbenchmark-dev dataset-fashion-mnist libturbojpeg0-dev' >/dev/null
# Spectra, CLI11, toml++ and nlohmann-json from this machine, as for a CUDA machine.
rm -rf "$root/opt/staged"
scripts/stage-headers.sh "$root/opt/staged" >/dev/null
mkdir -p "$root/opt/batchrmt"
git ls-files | tar -cf - -T - | tar -xf - -C "$root/opt/batchrmt"
chroot "$root" bash -c "cd /opt/batchrmt && export CCACHE_DIR=/opt/ccache OMP_WAIT_POLICY=PASSIVE && \
  BATCHRMT_TESTS=${TESTS:-ON} BATCHRMT_BENCHMARKS=OFF JOBS=\$(nproc) scripts/build-cuda.sh /opt/staged build/torch2 && \
  python3 -c 'import torch; print(\"check-libtorch2: LibTorch\", torch.__version__)' && \
  if [[ ${TESTS:-ON} == ON ]]; then cd build/torch2 && ctest ${CTEST_ARGS:--j2 --output-on-failure}; fi"
echo "check-libtorch2: built and tested against the LibTorch 2.x of Debian trixie in $root"
