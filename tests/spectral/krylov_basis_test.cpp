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
