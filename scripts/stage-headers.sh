#!/usr/bin/env bash
# Copies the header-only dependencies a CUDA machine may lack (Spectra, CLI11, toml++,
# nlohmann-json) from this Debian machine into DIR/include, so scripts/build-cuda.sh can
# build there without network access:
#   scripts/stage-headers.sh DIR      # then copy DIR to the CUDA machine
set -euo pipefail
dir="${1:?usage: scripts/stage-headers.sh DIR}"
mkdir -p "$dir/include"
copy() {  # copy SRC (file or folder under /usr/include) if present, else say which package provides it
  local src="/usr/include/$1" pkg="$2"
  if [[ ! -e "$src" ]]; then
    echo "stage-headers: $src is missing; install the Debian package $pkg first (scripts/install-deps.sh)." >&2
    exit 1
  fi
  cp -a "$src" "$dir/include/"
  echo "stage-headers: $1 <- $pkg"
}
copy Spectra libspectra-dev
copy CLI libcli11-dev
copy toml++ libtomlplusplus-dev   # used header-only (TOML_HEADER_ONLY, its default)
copy nlohmann nlohmann-json3-dev
for p in libspectra-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev; do
  echo "$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo unknown)"
done > "$dir/VERSIONS"
echo "stage-headers: wrote $dir/include and $dir/VERSIONS"
