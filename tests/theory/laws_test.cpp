// Semicircle and Marchenko–Pastur (docs/theory.md §2.2) against tests/theory/reference/laws.csv
// (mpmath, 40 digits, checked there against the defining integrals).
#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "core/errors.hpp"
#include "reference_table.hpp"
#include "theory/marchenko_pastur.hpp"
#include "theory/semicircle.hpp"

using namespace batchrmt::theory;
using cd = std::complex<double>;

TEST(Laws, StieltjesDensityCdfMatchMpmath) {
  // Bounds (relative): Stieltjes 1e-13 (a few roundings of closed forms; cancellation is avoided
  // by choosing between the two algebraic forms), density 1e-13, semicircle CDF 1e-14 absolute,
  // MP CDF (Gauss–Kronrod quadrature) 1e-13 absolute.
  const auto rows = batchrmt::test::read_reference("laws.csv");
  ASSERT_GT(rows.size(), 50u);
  for (const auto& r : rows) {
    const int law = static_cast<int>(r.at("law"));
    const cd z(r.at("x"), r.at("y"));
    const cd want(r.at("m_re"), r.at("m_im"));
    cd got;
    double dens, cdf;
    if (law == 0) {
      Semicircle sc(r.at("p1"));
      got = sc.stieltjes(z);
      dens = sc.density(z.real());
      cdf = sc.cdf(z.real());
      EXPECT_NEAR(cdf, r.at("cdf"), 1e-14) << z;
    } else {
      MarchenkoPastur mp(r.at("p1"), r.at("p2"));
      got = mp.stieltjes(z);
      dens = mp.density(z.real());
      cdf = mp.cdf(z.real());
      EXPECT_NEAR(cdf, r.at("cdf"), 1e-13) << "gamma " << r.at("p1") << " z " << z;
    }
    EXPECT_LE(std::abs(got - want), 1e-13 * std::abs(want)) << "law " << law << " p1 " << r.at("p1") << " z " << z;
    EXPECT_NEAR(dens, r.at("density"), 1e-13 * (1.0 + r.at("density")));
  }
}

TEST(Laws, ImaginaryPartPositiveOnUpperHalfPlaneGrid) {
  // docs/theory.md §2.1 Branches: Im m > 0 for Im z > 0, and m ~ -1/z.
  const Semicircle sc(1.3);
  const MarchenkoPastur mp1(0.3, 2.0), mp2(4.0, 0.5);
  for (double x = -10.0; x <= 10.0; x += 0.37)
    for (double y : {1e-12, 1e-6, 1e-3, 0.1, 1.0, 10.0, 1e3}) {
      const cd z(x, y);
      EXPECT_GT(sc.stieltjes(z).imag(), 0.0) << z;
      EXPECT_GT(mp1.stieltjes(z).imag(), 0.0) << z;
      EXPECT_GT(mp2.stieltjes(z).imag(), 0.0) << z;
    }
  const cd big(1e8, 3e7);
  EXPECT_LT(std::abs(sc.stieltjes(big) * big + 1.0), 1e-12);
  EXPECT_LT(std::abs(mp2.stieltjes(big) * big + 1.0), 1e-7);  // next term ~ mean/|z| = 5e-9
}

TEST(Laws, SelfConsistencyEquations) {
  const Semicircle sc(0.9);
  const MarchenkoPastur mp(2.5, 1.7);
  for (cd z : {cd(0.3, 0.01), cd(-4.0, 0.0), cd(2.0, 3.0), cd(7.0, 0.0)}) {
    const cd m = sc.stieltjes(z);
    EXPECT_LT(std::abs(0.81 * m * m + z * m + 1.0), 1e-14);
    const cd n = mp.stieltjes(z);
    EXPECT_LT(std::abs(2.5 * 1.7 * z * n * n + (z - 1.7 * (1.0 - 2.5)) * n + 1.0), 1e-13);
  }
}

TEST(Laws, MomentsEdgesAndTransforms) {
  const Semicircle sc(2.0);
  EXPECT_DOUBLE_EQ(sc.moment(0), 1.0);
  EXPECT_DOUBLE_EQ(sc.moment(2), 4.0);
  EXPECT_DOUBLE_EQ(sc.moment(4), 2.0 * 16.0);
  EXPECT_DOUBLE_EQ(sc.moment(6), 5.0 * 64.0);
  EXPECT_EQ(sc.moment(3), 0.0);
  const MarchenkoPastur mp(0.5, 2.0);
  EXPECT_DOUBLE_EQ(mp.moment(1), 2.0);
  EXPECT_NEAR(mp.moment(2), 4.0 * 1.5, 1e-14);                  // 1 + gamma
  EXPECT_NEAR(mp.moment(3), 8.0 * (1 + 3 * 0.5 + 0.25), 1e-13);  // 1 + 3 g + g^2
  EXPECT_NEAR(mp.upper_edge(), 2.0 * std::pow(1 + std::sqrt(0.5), 2), 1e-15);
  // R-transform: G(R(w) + 1/w) = w for small w > 0
  for (double w : {0.05, 0.1, 0.2}) {
    EXPECT_NEAR(-sc.stieltjes_real(sc.r_transform(w) + 1.0 / w), w, 1e-14);
    EXPECT_NEAR(-mp.stieltjes_real(mp.r_transform(w) + 1.0 / w), w, 1e-14);
  }
  // quantiles invert the CDF
  for (double p : {0.01, 0.3, 0.5, 0.97}) {
    EXPECT_NEAR(sc.cdf(sc.quantile(p)), p, 1e-14);
    EXPECT_NEAR(mp.cdf(mp.quantile(p)), p, 1e-13);
  }
  // edge constants: rho(x) ≈ (c/pi) sqrt(edge - x)
  const double d = 1e-8;
  EXPECT_NEAR(sc.density(sc.upper_edge() - d) * M_PI / std::sqrt(d) / sc.edge_constant(), 1.0, 1e-6);
  EXPECT_NEAR(mp.density(mp.upper_edge() - d) * M_PI / std::sqrt(d) / mp.edge_constant(), 1.0, 1e-6);
  // derivative of the real Stieltjes transform by central difference
  const double x = 5.0, h = 1e-5;
  EXPECT_NEAR(sc.stieltjes_real_derivative(x), (sc.stieltjes_real(x + h) - sc.stieltjes_real(x - h)) / (2 * h), 1e-9);
  EXPECT_NEAR(mp.stieltjes_real_derivative(x + 3), (mp.stieltjes_real(x + 3 + h) - mp.stieltjes_real(x + 3 - h)) / (2 * h),
              1e-9);
}

TEST(Laws, MarchenkoPasturAtomAndGammaToZero) {
  const MarchenkoPastur mp(4.0, 1.0);
  EXPECT_DOUBLE_EQ(mp.atom_at_zero(), 0.75);
  EXPECT_DOUBLE_EQ(mp.cdf(0.0), 0.75);
  EXPECT_DOUBLE_EQ(mp.quantile(0.5), 0.0);
  // gamma -> 0: the law concentrates at sigma^2; m(z) -> 1/(sigma^2 - z)
  const MarchenkoPastur tiny(1e-12, 3.0);
  EXPECT_NEAR(tiny.upper_edge(), 3.0, 1e-5);
  EXPECT_NEAR(tiny.stieltjes_real(5.0), 1.0 / (3.0 - 5.0), 1e-6);
}

TEST(Laws, BadInputIsRejected) {
  EXPECT_THROW(Semicircle(0.0), batchrmt::InvalidInput);
  EXPECT_THROW(Semicircle(-1.0), batchrmt::InvalidInput);
  EXPECT_THROW(MarchenkoPastur(-0.5), batchrmt::InvalidInput);
  EXPECT_THROW(MarchenkoPastur(0.5, -1.0), batchrmt::InvalidInput);
  EXPECT_THROW(Semicircle(1.0).stieltjes_real(1.0), batchrmt::InvalidInput);
  EXPECT_THROW(Semicircle(1.0).quantile(1.5), batchrmt::InvalidInput);
}
