// Huge-page-backed Krylov basis memory (spectral/krylov_basis.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "spectral/krylov_basis.hpp"

namespace bs = batchrmt::spectral;

TEST(HugePageBuffer, AlignedReusedWhenLargeEnoughAndMovable) {
  bs::HugePageBuffer b;
  EXPECT_EQ(b.data(), nullptr);
  b.reserve(3 << 20);
  ASSERT_NE(b.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % (2u << 20), 0u);  // 2 MiB-aligned
  EXPECT_GE(b.capacity(), std::size_t(3) << 20);
  static_cast<unsigned char*>(b.data())[12345] = 7;
  void* first = b.data();
  b.reserve(1 << 20);  // smaller: the same memory, contents kept
  EXPECT_EQ(b.data(), first);
  EXPECT_EQ(static_cast<unsigned char*>(b.data())[12345], 7);

  bs::HugePageBuffer moved(std::move(b));
  EXPECT_EQ(moved.data(), first);
  EXPECT_EQ(b.data(), nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  moved.release();
  EXPECT_EQ(moved.data(), nullptr);
  EXPECT_EQ(moved.capacity(), 0u);
}

TEST(KrylovBasis, ViewHasTheShapeAndKeepColumnsShrinksWithoutCopying) {
  bs::KrylovBasis<double> q;
  q.resize(1000, 7);
  auto v = q.view();
  EXPECT_EQ(v.rows(), 1000);
  EXPECT_EQ(v.cols(), 7);
  for (Eigen::Index j = 0; j < 7; ++j) v.col(j).setConstant(static_cast<double>(j));
  const double* data = v.data();
  q.keep_columns(3);
  EXPECT_EQ(q.cols(), 3);
  EXPECT_EQ(q.view().data(), data);
  EXPECT_EQ(q.view()(999, 2), 2.0);
  q.keep_columns(5);  // never grows
  EXPECT_EQ(q.cols(), 3);
  q.release();
  EXPECT_EQ(q.view().size(), 0);
}

TEST(HugePageBuffer, ReleasedMemoryIsKeptForTheNextBufferUntilReleasedForGood) {
  bs::release_kept_basis_memory();
  ASSERT_EQ(bs::kept_basis_memory_bytes(), 0u);
  void* first = nullptr;
  {
    bs::HugePageBuffer b;
    b.reserve(5 << 20);
    first = b.data();
    static_cast<unsigned char*>(first)[0] = 1;
  }  // released into the kept memory
  EXPECT_EQ(bs::kept_basis_memory_bytes(), std::size_t(6) << 20);  // rounded up to 2 MiB pages

  bs::HugePageBuffer small;
  small.reserve(1 << 20);  // the smallest kept mapping that is large enough: the 6 MiB one
  EXPECT_EQ(small.data(), first);
  EXPECT_EQ(bs::kept_basis_memory_bytes(), 0u);
  small.release();

  bs::HugePageBuffer large;
  large.reserve(9 << 20);  // nothing kept fits: the smaller kept mapping is unmapped, a fresh one made
  EXPECT_EQ(bs::kept_basis_memory_bytes(), 0u);
  EXPECT_GE(large.capacity(), std::size_t(9) << 20);
  large.release();
  EXPECT_EQ(bs::release_kept_basis_memory(), std::size_t(10) << 20);
  EXPECT_EQ(bs::kept_basis_memory_bytes(), 0u);
}

TEST(HugePageBuffer, AtMostFourMappingsAreKeptAndTheSmallestGoesFirst) {
  bs::release_kept_basis_memory();
  {
    bs::HugePageBuffer b[5];
    for (int i = 0; i < 5; ++i) b[i].reserve(std::size_t(i + 1) << 21);  // 2, 4, ..., 10 MiB
  }
  EXPECT_EQ(bs::kept_basis_memory_bytes(), std::size_t(4 + 6 + 8 + 10) << 20);
  EXPECT_EQ(bs::release_kept_basis_memory(), std::size_t(28) << 20);
}
