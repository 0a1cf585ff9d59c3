// Huge-page-backed host memory for Krylov bases; see krylov_basis.hpp.
#include "spectral/krylov_basis.hpp"

#include "core/system.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace batchrmt::spectral {

namespace {
constexpr std::size_t kHugePage = std::size_t(2) << 20;

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// One mapping of HugePageBuffer memory: what the allocator returned and the aligned start in it.
struct Mapping {
  void* mapping = nullptr;
  std::size_t mapped = 0;
  void* data = nullptr;
  std::size_t capacity = 0;
};

void unmap(const Mapping& m) {
#ifdef __linux__
  munmap(m.mapping, m.mapped);
#else
  std::free(m.mapping);
#endif
}

// The memory of released buffers, kept mapped for the next reserve() in the process (at most
// kKeptMappings mappings; why: krylov_basis.hpp).
class KeptMappings {
 public:
  static KeptMappings& instance() {
    static KeptMappings* kept = new KeptMappings;  // never destroyed: usable until exit
    return *kept;
  }
  // The smallest kept mapping of at least `capacity` bytes; none (and the kept mappings smaller
  // than `capacity` unmapped, since the caller is about to map a larger one) if there is none.
  bool take(std::size_t capacity, Mapping& out) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto best = kept_.end();
    for (auto it = kept_.begin(); it != kept_.end(); ++it)
      if (it->capacity >= capacity && (best == kept_.end() || it->capacity < best->capacity)) best = it;
    if (best != kept_.end()) {
      out = *best;
      kept_.erase(best);
      return true;
    }
    for (const Mapping& m : kept_) unmap(m);
    kept_.clear();
    return false;
  }
  // Keeps `m`; beyond kKeptMappings the smallest is unmapped.
  void give(const Mapping& m) {
    std::lock_guard<std::mutex> lock(mutex_);
    kept_.push_back(m);
    if (kept_.size() <= kKeptMappings) return;
    const auto smallest = std::min_element(kept_.begin(), kept_.end(),
                                           [](const Mapping& a, const Mapping& b) { return a.capacity < b.capacity; });
    unmap(*smallest);
    kept_.erase(smallest);
  }
  std::size_t release_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t bytes = total();
    for (const Mapping& m : kept_) unmap(m);
    kept_.clear();
    return bytes;
  }
  std::size_t bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return total();
  }

 private:
  std::size_t total() const {
    std::size_t bytes = 0;
    for (const Mapping& m : kept_) bytes += m.capacity;
    return bytes;
  }
  static constexpr std::size_t kKeptMappings = 4;
  std::mutex mutex_;
  std::vector<Mapping> kept_;
};

Mapping map_fresh(std::size_t capacity) {
  Mapping out;
#ifdef __linux__
  // One huge page more than needed, so that an aligned start can be chosen inside the mapping.
  const std::size_t mapped = capacity + kHugePage;
  void* m = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  void* aligned = reinterpret_cast<void*>(round_up(reinterpret_cast<std::uintptr_t>(m), kHugePage));
  advise_huge_pages(aligned, capacity);  // advice only: ordinary pages where it is declined
  out = {m, mapped, aligned, capacity};
#else
  void* m = std::aligned_alloc(kHugePage, capacity);
  if (m == nullptr) throw std::bad_alloc();
  out = {m, capacity, m, capacity};
#endif
  return out;
}
}  // namespace

std::size_t release_kept_basis_memory() { return KeptMappings::instance().release_all(); }
std::size_t kept_basis_memory_bytes() { return KeptMappings::instance().bytes(); }

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
  Mapping m;
  if (!KeptMappings::instance().take(capacity, m)) m = map_fresh(capacity);
  mapping_ = m.mapping;
  mapped_ = m.mapped;
  data_ = m.data;
  capacity_ = m.capacity;
}

void HugePageBuffer::release() {
  if (mapping_ != nullptr) KeptMappings::instance().give({mapping_, mapped_, data_, capacity_});
  mapping_ = data_ = nullptr;
  mapped_ = capacity_ = 0;
}

}  // namespace batchrmt::spectral
