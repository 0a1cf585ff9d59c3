// Fuzz target: CIFAR-100 binary records through networks/raw's parser (see fuzz_idx.cpp for
// what counts as a finding).
#include <cstddef>
#include <cstdint>

#include "core/errors.hpp"
#include "networks/raw/raw_formats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace raw = batchrmt::networks::raw;
  for (bool coarse : {false, true}) {
    try {
      const auto r = raw::parse_cifar100(data, size, coarse, "fuzz.bin");
      if (r.pixels.size() != r.labels.size() * 3072 || r.labels.size() * raw::kCifarRecord != size) __builtin_trap();
      for (auto l : r.labels)
        if (l < 0 || l >= (coarse ? 20 : 100)) __builtin_trap();
    } catch (const batchrmt::Error&) {
    }
  }
  return 0;
}
