// Huge-page-backed host memory for Krylov bases; see krylov_basis.hpp.
#include "spectral/krylov_basis.hpp"

#include "core/system.hpp"

#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace batchrmt::spectral {

namespace {
constexpr std::size_t kHugePage = std::size_t(2) << 20;

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
}  // namespace

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      mapped_(std::exchange(other.mapped_, 0)),
      data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    release();
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapped_ = std::exchange(other.mapped_, 0);
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

void HugePageBuffer::reserve(std::size_t bytes) {
  if (bytes <= capacity_ && data_ != nullptr) return;
  release();
  if (bytes == 0) return;
  const std::size_t capacity = round_up(bytes, kHugePage);
#ifdef __linux__
  // One huge page more than needed, so that an aligned start can be chosen inside the mapping.
  const std::size_t mapped = capacity + kHugePage;
  void* m = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  const auto start = round_up(reinterpret_cast<std::uintptr_t>(m), kHugePage);
  void* aligned = reinterpret_cast<void*>(start);
  advise_huge_pages(aligned, capacity);  // advice only: ordinary pages where it is declined
  mapping_ = m;
  mapped_ = mapped;
  data_ = aligned;
#else
  void* m = std::aligned_alloc(kHugePage, capacity);
  if (m == nullptr) throw std::bad_alloc();
  mapping_ = m;
  mapped_ = capacity;
  data_ = m;
#endif
  capacity_ = capacity;
}

void HugePageBuffer::release() {
  if (mapping_ != nullptr) {
#ifdef __linux__
    munmap(mapping_, mapped_);
#else
    std::free(mapping_);
#endif
  }
  mapping_ = data_ = nullptr;
  mapped_ = capacity_ = 0;
}

}  // namespace batchrmt::spectral
