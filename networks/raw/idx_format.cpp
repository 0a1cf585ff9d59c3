// IDX files (LeCun's MNIST format, http://yann.lecun.com/exdb/mnist/): header and records from
// bytes, gzip-compressed or plain (no LibTorch here).
#include <cstdio>

#include "core/errors.hpp"
#include "networks/raw/raw_formats.hpp"

namespace batchrmt::networks::raw {

namespace {

// The payload of an IDX file is at most this many bytes (16 GiB: Fashion-MNIST's is 47 MB).
constexpr std::uint64_t kIdxMaxPayload = std::uint64_t{1} << 34;

std::uint32_t be32(const std::uint8_t* b) {
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | std::uint32_t(b[3]);
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

void need(const std::vector<std::uint8_t>& have, std::size_t n, const std::string& name, const std::string& what) {
  if (have.size() < n)
    throw InvalidInput(name + " is truncated: it ends after " + std::to_string(have.size()) + " of the " +
                       std::to_string(n) + " bytes of " + what + ".");
}

// The header (`header` bytes) and payload (`payload` bytes) of an IDX file, header stripped.
std::vector<std::uint8_t> idx_payload(const std::uint8_t* data, std::size_t size, std::size_t header,
                                      std::uint64_t payload, const std::string& name, const std::string& what) {
  if (payload > kIdxMaxPayload)
    throw InvalidInput(name + " declares " + what + " (" + std::to_string(payload) + " bytes), over the cap of " +
                       std::to_string(kIdxMaxPayload) + " bytes for an IDX file.");
  const std::size_t total = header + static_cast<std::size_t>(payload);
  auto all = gunzip_prefix(data, size, total + 1, name);
  if (all.size() < total)
    throw InvalidInput(name + " is truncated: it ends after " + std::to_string(all.size() - std::min(all.size(), header)) +
                       " of the " + std::to_string(payload) + " bytes of " + what + ".");
  if (all.size() > total)
    throw InvalidInput(name + " holds more bytes than the " + what + " its header declares; it is not an IDX file of " +
                       "that size.");
  all.erase(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(header));
  return all;
}

// The first `header` bytes of an IDX file whose magic number must be `magic` (`kind` names the
// file kind in the refusal).
std::vector<std::uint8_t> idx_header(const std::uint8_t* data, std::size_t size, std::size_t header, std::uint32_t magic,
                                     const std::string& kind, const std::string& name) {
  const auto head = gunzip_prefix(data, size, header, name);
  need(head, 4, name, "the magic number");
  const std::uint32_t found = be32(head.data());
  if (found != magic)
    throw InvalidInput(name + " has magic number " + hex(found) + ", but an IDX " + kind + " has " + hex(magic) + ".");
  need(head, header, name, "the header");
  return head;
}

}  // namespace

IdxImages parse_idx_images(const std::uint8_t* data, std::size_t size, const std::string& name) {
  const auto head = idx_header(data, size, 16, 0x00000803u, "image file (unsigned bytes, 3 dimensions)", name);
  IdxImages out;
  out.count = be32(head.data() + 4);
  out.rows = be32(head.data() + 8);
  out.cols = be32(head.data() + 12);
  if (out.rows <= 0 || out.cols <= 0 || out.rows > kIdxMaxSide || out.cols > kIdxMaxSide)
    throw InvalidInput(name + " declares images of " + std::to_string(out.rows) + " x " + std::to_string(out.cols) +
                       " pixels, but each side must lie in 1.." + std::to_string(kIdxMaxSide) + ".");
  const auto payload = static_cast<std::uint64_t>(out.count) * static_cast<std::uint64_t>(out.rows * out.cols);
  out.pixels = idx_payload(data, size, 16, payload, name, std::to_string(out.count) + " images");
  return out;
}

std::vector<std::int64_t> parse_idx_labels(const std::uint8_t* data, std::size_t size, int classes,
                                           const std::string& name) {
  const auto head = idx_header(data, size, 8, 0x00000801u, "label file (unsigned bytes, 1 dimension)", name);
  const std::uint32_t n = be32(head.data() + 4);
  const auto raw = idx_payload(data, size, 8, n, name, std::to_string(n) + " labels");
  std::vector<std::int64_t> labels(raw.begin(), raw.end());
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= classes)
      throw InvalidInput(name + ": label " + std::to_string(labels[i]) + " of item " + std::to_string(i) +
                         " is out of range; labels must lie in 0.." + std::to_string(classes - 1) + ".");
  return labels;
}

}  // namespace batchrmt::networks::raw
