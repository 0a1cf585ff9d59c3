// Fuzz target: one file of an ImageNet folder — the JPEG header check, the libjpeg-turbo
// decode and the resampling to side x side (both rules: box for side <= 64, centre crop
// above) — through networks/raw (see fuzz_idx.cpp for what counts as a finding). The caps are
// smaller than the loader's defaults (4096 a side, 4 Mi pixels) so that an execution stays
// fast; the code path is the same.
#include <cstddef>
#include <cstdint>

#include "core/errors.hpp"
#include "networks/raw/raw_formats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace raw = batchrmt::networks::raw;
  raw::JpegLimits limits;
  limits.max_side = 4096;
  limits.max_pixels = std::uint64_t{1} << 22;
  try {
    const auto img = raw::decode_jpeg(data, size, "fuzz.JPEG", 32, limits);
    if (img.rgb.size() != static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height) * 3)
      __builtin_trap();
    for (int side : {32, 80}) {
      const auto planes = raw::resize_to_planes(img.rgb, img.width, img.height, side, "fuzz.JPEG");
      if (planes.size() != static_cast<std::size_t>(3 * side * side)) __builtin_trap();
    }
  } catch (const batchrmt::Error&) {
  }
  return 0;
}
