// Fuzz target: IDX image and label files (gzip or plain) through networks/raw's parsers.
// The only exception allowed out of a parser is batchrmt::Error (a sentence for the user);
// anything else — a crash, a sanitizer report, another exception — is a finding.
#include <cstddef>
#include <cstdint>

#include "core/errors.hpp"
#include "networks/raw/raw_formats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace raw = batchrmt::networks::raw;
  try {
    const auto images = raw::parse_idx_images(data, size, "fuzz.idx3");
    if (images.pixels.size() != static_cast<std::size_t>(images.count * images.rows * images.cols)) __builtin_trap();
  } catch (const batchrmt::Error&) {
  }
  try {
    const auto labels = raw::parse_idx_labels(data, size, 10, "fuzz.idx1");
    for (auto l : labels)
      if (l < 0 || l >= 10) __builtin_trap();
  } catch (const batchrmt::Error&) {
  }
  return 0;
}
