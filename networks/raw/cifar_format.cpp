// CIFAR-100 binary records (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version"):
// <1 coarse label><1 fine label><3072 pixels> per image, from bytes (no LibTorch here).
#include <cstring>

#include "core/errors.hpp"
#include "networks/raw/raw_formats.hpp"

namespace batchrmt::networks::raw {

CifarRecords parse_cifar100(const std::uint8_t* data, std::size_t size, bool coarse_labels, const std::string& name) {
  if (size == 0) throw InvalidInput("the CIFAR-100 file " + name + " is empty.");
  if (size % kCifarRecord != 0)
    throw InvalidInput("the CIFAR-100 file " + name + " has " + std::to_string(size) +
                       " bytes, not a whole number of 3074-byte records: its last record (" +
                       std::to_string(size / kCifarRecord) + ") is truncated.");
  const std::size_t n = size / kCifarRecord;
  CifarRecords out;
  out.pixels.resize(n * 3072);
  out.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* rec = data + i * kCifarRecord;
    if (rec[0] >= 20 || rec[1] >= 100)
      throw InvalidInput("the CIFAR-100 file " + name + " has record " + std::to_string(i) + " with coarse label " +
                         std::to_string(rec[0]) + " and fine label " + std::to_string(rec[1]) +
                         ", but they must lie in 0..19 and 0..99.");
    out.labels[i] = coarse_labels ? rec[0] : rec[1];
    std::memcpy(out.pixels.data() + i * 3072, rec + 2, 3072);
  }
  return out;
}

}  // namespace batchrmt::networks::raw
