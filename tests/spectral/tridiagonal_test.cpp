// Sturm bisection and LAPACK tridiagonal wrappers against closed forms and LAPACK (docs/theory.md 4.4).
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "spectral/tridiagonal.hpp"
#include "tests/spectral/test_matrices.hpp"

namespace bs = batchrmt::spectral;
using bs::testing::Tridiagonal;

TEST(Tridiagonal, ToeplitzClosedFormTopBottomAndAll) {
  for (Eigen::Index n : {1, 2, 3, 10, 1000}) {
    const Tridiagonal t = bs::testing::toeplitz121(n);
    const double top = bs::tridiagonal_top_eigenvalue(t.a, t.b);
    EXPECT_NEAR(top, bs::testing::toeplitz121_eigenvalue(n, n), 4e-15 * 4) << "n=" << n;
    const auto bottom = bs::tridiagonal_kth_smallest(t.a, t.b, 1);
    EXPECT_NEAR(bottom.value, bs::testing::toeplitz121_eigenvalue(n, 1), 1e-14) << "n=" << n;
    const Eigen::VectorXd all = bs::tridiagonal_eigenvalues(t.a, t.b);
    for (Eigen::Index k = 1; k <= n; ++k)
      EXPECT_NEAR(all[k - 1], bs::testing::toeplitz121_eigenvalue(n, k), 1e-13) << "n=" << n << " k=" << k;
  }
}

TEST(Tridiagonal, ClementEveryEigenvalueByBisection) {
  const Eigen::Index n = 21;  // eigenvalues -20, -18, ..., 18, 20
  const Tridiagonal t = bs::testing::clement(n);
  for (std::size_t k = 1; k <= static_cast<std::size_t>(n); ++k) {
    const auto r = bs::tridiagonal_kth_largest(t.a, t.b, k);
    EXPECT_NEAR(r.value, static_cast<double>(n - 1) - 2.0 * static_cast<double>(k - 1), 1e-12) << "k=" << k;
    EXPECT_LE(r.lower, r.value);
    EXPECT_GE(r.upper, r.value);
    EXPECT_LT(r.sweeps, 40);
  }
}

TEST(Tridiagonal, WilkinsonNearDegeneratePairResolved) {
  const Tridiagonal t = bs::testing::wilkinson_plus(10);  // W+_21
  const Eigen::VectorXd ref = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(t.dense(), Eigen::EigenvaluesOnly).eigenvalues();
  const Eigen::VectorXd lap = bs::tridiagonal_eigenvalues_by_index(t.a, t.b, 1, 21);
  for (std::size_t k = 1; k <= 21; ++k) {
    const double v = bs::tridiagonal_kth_largest(t.a, t.b, k).value;
    EXPECT_NEAR(v, ref[21 - static_cast<Eigen::Index>(k)], 2e-14 * 11) << "k=" << k;
    EXPECT_NEAR(v, lap[21 - static_cast<Eigen::Index>(k)], 2e-14 * 11) << "k=" << k;
  }
  // The top two agree to ~1e-13 (a known property of W+_21) but bisection still finds two values.
  const double l1 = bs::tridiagonal_kth_largest(t.a, t.b, 1).value;
  const double l2 = bs::tridiagonal_kth_largest(t.a, t.b, 2).value;
  EXPECT_NEAR(l1, 10.746194182903, 1e-12);
  EXPECT_LT(l1 - l2, 1e-12);
  EXPECT_GE(l1, l2);
}

TEST(Tridiagonal, SturmMatchesLapackOnRandomTridiagonalsUpTo1e5) {
  for (Eigen::Index n : {2, 7, 100, 1000, 100000}) {
    const Tridiagonal t = bs::testing::random_tridiagonal(n, 42 + static_cast<std::uint64_t>(n));
    const double scale = std::max(t.a.cwiseAbs().maxCoeff(), t.b.cwiseAbs().maxCoeff());
    const auto un = static_cast<std::size_t>(n);
    for (std::size_t k : {std::size_t(1), std::size_t(2), std::min<std::size_t>(un, 5)}) {
      const double ours = bs::tridiagonal_kth_largest(t.a, t.b, k).value;
      const double lapack = bs::tridiagonal_eigenvalues_by_index(t.a, t.b, un - k + 1, un - k + 1)[0];
      // Both are bisections with backward-stable counts: agreement to a few ulps of ||T||.
      EXPECT_NEAR(ours, lapack, 1e-14 * 8 * scale) << "n=" << n << " k=" << k;
    }
    const double bottom = bs::tridiagonal_kth_smallest(t.a, t.b, 1).value;
    EXPECT_NEAR(bottom, bs::tridiagonal_eigenvalues_by_index(t.a, t.b, 1, 1)[0], 1e-14 * 8 * scale);
  }
}

TEST(Tridiagonal, PlainBisectionAndMultisectionAgree) {
  const Tridiagonal t = bs::testing::random_tridiagonal(5000, 3);
  bs::BisectionOptions one;
  one.shifts_per_sweep = 1;
  bs::BisectionOptions eight;
  eight.shifts_per_sweep = 8;
  const auto r1 = bs::tridiagonal_kth_largest(t.a, t.b, 1, one);
  const auto r8 = bs::tridiagonal_kth_largest(t.a, t.b, 1, eight);
  EXPECT_NEAR(r1.value, r8.value, 1e-13);
  EXPECT_GT(r1.sweeps, 45);  // ~55 halvings
  EXPECT_LT(r8.sweeps, 25);  // log_9 of the same reduction
}

TEST(Tridiagonal, CountsAtEdgesMatchDenseSpectrum) {
  const Tridiagonal t = bs::testing::random_tridiagonal(1000, 11);
  const Eigen::VectorXd ev = bs::tridiagonal_eigenvalues(t.a, t.b);
  std::vector<double> edges;
  for (int i = -40; i <= 40; ++i) edges.push_back(0.1 * i + 0.0123);
  const auto counts = bs::tridiagonal_counts_at(t.a, t.b, edges);
  ASSERT_EQ(counts.size(), edges.size());
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const auto expect = static_cast<std::size_t>(std::count_if(ev.data(), ev.data() + ev.size(),
                                                               [&](double v) { return v <= edges[i]; }));
    EXPECT_EQ(counts[i], expect) << "edge " << edges[i];
  }
}

TEST(Tridiagonal, ZeroPivotsAndDecoupledBlocks) {
  // b = 0 splits T into 1x1 blocks; a shift exactly at an eigenvalue gives exact zero pivots.
  Eigen::VectorXd a(4), b(3);
  a << 3, 1, 2, 1;
  b << 0, 0, 0;
  EXPECT_DOUBLE_EQ(bs::tridiagonal_top_eigenvalue(a, b), 3.0);
  EXPECT_NEAR(bs::tridiagonal_kth_largest(a, b, 3).value, 1.0, 1e-15);
  EXPECT_NEAR(bs::tridiagonal_kth_largest(a, b, 4).value, 1.0, 1e-15);
  const std::vector<double> edges{0.5, 1.0, 1.5, 2.0, 3.0};
  const auto c = bs::tridiagonal_counts_at(a, b, edges);
  EXPECT_EQ(c[0], 0u);
  EXPECT_EQ(c[2], 2u);
  EXPECT_EQ(c[4], 4u);
  Eigen::VectorXd a1(1), b0(0);
  a1 << -7.5;
  EXPECT_DOUBLE_EQ(bs::tridiagonal_top_eigenvalue(a1, b0), -7.5);
}

TEST(Tridiagonal, EigenPairsQrAndMrrrAgreeWithDense) {
  const Tridiagonal t = bs::testing::random_tridiagonal(300, 5);
  const Eigen::MatrixXd d = t.dense();
  for (auto method : {bs::TridiagonalMethod::QR, bs::TridiagonalMethod::MRRR}) {
    const bs::TridiagonalEigen e = bs::tridiagonal_eigen(t.a, t.b, method);
    const Eigen::Index n = t.a.size();
    EXPECT_LE((e.vectors.transpose() * e.vectors - Eigen::MatrixXd::Identity(n, n)).cwiseAbs().maxCoeff(), 1e-12);
    EXPECT_LE((d * e.vectors - e.vectors * e.values.asDiagonal()).cwiseAbs().maxCoeff(), 1e-12);
    for (Eigen::Index i = 1; i < n; ++i) EXPECT_LE(e.values[i - 1], e.values[i]);
  }
}

TEST(Tridiagonal, RejectsBadInput) {
  Eigen::VectorXd a(3), b(1);
  a << 1, 2, 3;
  b << 1;
  EXPECT_THROW(bs::tridiagonal_top_eigenvalue(a, b), batchrmt::InvalidInput);
  Eigen::VectorXd b2(2);
  b2 << 1, std::nan("");
  EXPECT_THROW(bs::tridiagonal_top_eigenvalue(a, b2), batchrmt::InvalidInput);
  b2 << 1, 1;
  EXPECT_THROW(bs::tridiagonal_kth_largest(a, b2, 4), batchrmt::InvalidInput);
  EXPECT_THROW(bs::tridiagonal_kth_largest(a, b2, 0), batchrmt::InvalidInput);
}

// tridiagonal_extremes (docs/performance.md, "simulate"): both ends in shared sweeps, optional warm starts.
TEST(TridiagonalExtremes, WithoutGuessesEqualsTheTwoColdBisectionsExactly) {
  for (Eigen::Index n : {1, 2, 7, 1000, 50000}) {
    const Tridiagonal t = bs::testing::random_tridiagonal(n, 7 + static_cast<std::uint64_t>(n));
    const auto e = bs::tridiagonal_extremes(t.a.data(), t.b.data(), static_cast<std::size_t>(n));
    const auto top = bs::tridiagonal_kth_largest(t.a, t.b, 1);
    const auto bottom = bs::tridiagonal_kth_smallest(t.a, t.b, 1);
    EXPECT_EQ(e.top.value, top.value) << "n=" << n;  // same shifts, same counts: bit-identical
    EXPECT_EQ(e.bottom.value, bottom.value) << "n=" << n;
    EXPECT_EQ(e.top.sweeps, top.sweeps);
    EXPECT_EQ(e.bottom.shifts, bottom.shifts);
  }
}

TEST(TridiagonalExtremes, GoodGuessesSaveSweepsAndKeepTheToleranceWrongGuessesStillConverge) {
  const Eigen::Index n = 100000;
  const Tridiagonal t = bs::testing::random_tridiagonal(n, 99);
  const auto top = bs::tridiagonal_kth_largest(t.a, t.b, 1);
  const auto bottom = bs::tridiagonal_kth_smallest(t.a, t.b, 1);
  // The bisection tolerance is absolute at the scale of ||T|| (dstebz's abs_tol = ulp * ||T||).
  const double scale = std::max({1.0, std::abs(top.value), std::abs(bottom.value)});
  const double tol_top = 8 * std::numeric_limits<double>::epsilon() * scale;
  const double tol_bottom = tol_top;
  // Guesses a few ulp off (what the leading block gives): far fewer sweeps.
  const auto good = bs::tridiagonal_extremes(t.a.data(), t.b.data(), static_cast<std::size_t>(n),
                                             std::nextafter(top.value, 0.0), std::nextafter(bottom.value, 0.0));
  EXPECT_NEAR(good.top.value, top.value, tol_top);
  EXPECT_NEAR(good.bottom.value, bottom.value, tol_bottom);
  EXPECT_LE(good.top.sweeps, 5);
  EXPECT_LT(good.top.sweeps, top.sweeps / 3);
  EXPECT_LE(good.bottom.sweeps, 5);
  // Every bracket is verified by counts on the whole T: guesses far off (the wrong end, the middle,
  // outside the spectrum) cost sweeps, not accuracy.
  for (const auto& [gt, gb] : std::vector<std::pair<double, double>>{
           {bottom.value, top.value}, {0.0, 0.0}, {top.value + 10.0, bottom.value - 10.0}, {top.value + 1e-9, bottom.value - 1e-9}}) {
    const auto w = bs::tridiagonal_extremes(t.a.data(), t.b.data(), static_cast<std::size_t>(n), gt, gb);
    EXPECT_NEAR(w.top.value, top.value, tol_top) << gt;
    EXPECT_NEAR(w.bottom.value, bottom.value, tol_bottom) << gb;
    EXPECT_LE(w.top.lower, w.top.value);
    EXPECT_GE(w.top.upper, w.top.value);
  }
}
