// Host memory for a Krylov basis (P x m, column-major), backed by transparent huge pages.
//
// A Lanczos basis is written one column per step: with 4 KiB pages every step of a large run
// takes P b / 4096 page faults on first touch (vgg16bn, P = 14.8 M, fp64: 28,900 faults, each
// zeroing a page). On the development VM a fault costs several microseconds, so this was
// 0.14-0.29 s of a 1.7 s Lanczos step (docs/performance.md, "lanczos"). Asking the kernel for
// 2 MiB pages (madvise MADV_HUGEPAGE on a 2 MiB-aligned mapping, Linux) divides the faults by
// 512; the zeroing stays, at memset speed. Elsewhere, or where the kernel declines, the memory
// is ordinary pages. Memory of a previous resize() is reused when it is large enough.
//
// The zeroing stays, and on a VM the host's backing of each new page comes with it: on this
// project's paravirtualised VMs a fresh 2 MiB page fills at about 0.6 GB/s, 0.19 s of each vgg16bn
// Lanczos step. So released memory is not returned to the system but kept, mapped, for the next
// buffer in the process (at most 4 mappings; the smallest kept one that is large enough is
// reused): a Lanczos run per batch writes its basis into memory the previous run already touched.
// release_kept_basis_memory() returns it.
#pragma once

#include <Eigen/Core>

#include <cstddef>

namespace batchrmt::spectral {

// Unmaps the memory kept from released buffers; returns its bytes. Thread-safe.
std::size_t release_kept_basis_memory();
// The bytes of memory kept from released buffers.
std::size_t kept_basis_memory_bytes();

// Raw bytes, 2 MiB-aligned, huge-page backed where the kernel allows; uninitialised.
class HugePageBuffer {
 public:
  HugePageBuffer() = default;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  ~HugePageBuffer() { release(); }

  // At least `bytes` bytes; keeps the present memory (and its contents) if it is large enough,
  // else takes kept memory (contents unspecified) or maps fresh memory. Throws std::bad_alloc
  // when the memory cannot be had.
  void reserve(std::size_t bytes);
  // Hands the memory to the kept memory of the process (release_kept_basis_memory).
  void release();
  void* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  void* mapping_ = nullptr;  // what the allocator returned (before alignment)
  std::size_t mapped_ = 0;
  void* data_ = nullptr;
  std::size_t capacity_ = 0;
};

template <class Scalar>
class KrylovBasis {
 public:
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using View = Eigen::Map<Matrix, Eigen::Aligned64>;
  using ConstView = Eigen::Map<const Matrix, Eigen::Aligned64>;

  void resize(Eigen::Index rows, Eigen::Index cols) {
    memory_.reserve(sizeof(Scalar) * static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols));
    rows_ = rows;
    cols_ = cols;
  }
  // After an early stop: only the first `cols` columns count (no copy, no reallocation).
  void keep_columns(Eigen::Index cols) {
    if (cols < cols_) cols_ = cols;
  }
  void release() {
    memory_.release();
    rows_ = cols_ = 0;
  }
  Eigen::Index rows() const { return rows_; }
  Eigen::Index cols() const { return cols_; }
  View view() { return View(static_cast<Scalar*>(memory_.data()), rows_, cols_); }
  ConstView view() const { return ConstView(static_cast<const Scalar*>(memory_.data()), rows_, cols_); }

 private:
  HugePageBuffer memory_;
  Eigen::Index rows_ = 0;
  Eigen::Index cols_ = 0;
};

}  // namespace batchrmt::spectral
