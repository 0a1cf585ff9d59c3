// Spiked Wigner (§2.3) and spiked covariance (§2.6): closed forms vs the general BGN route
// (theory/bgn.hpp) for every spiked model, boundaries, and the §7.2 V6 identities.
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "theory/bgn.hpp"
#include "theory/qve.hpp"
#include "theory/spiked_covariance.hpp"
#include "theory/spiked_wigner.hpp"

using namespace batchrmt::theory;

TEST(SpikedWigner, ClosedFormValues) {
  const auto p = spiked_wigner(2.0, 1.0);
  ASSERT_TRUE(p.outlier.has_value());
  EXPECT_DOUBLE_EQ(*p.outlier, 2.5);
  EXPECT_DOUBLE_EQ(p.overlap, 0.75);
  EXPECT_DOUBLE_EQ(p.threshold, 1.0);
  EXPECT_DOUBLE_EQ(p.edge, 2.0);
  EXPECT_DOUBLE_EQ(p.variance_coefficient, 2.0 * 0.75);
  EXPECT_NEAR(spiked_wigner_outlier_sd(p, 1e4), std::sqrt(1.5 / 1e4), 1e-16);
  EXPECT_DOUBLE_EQ(spiked_wigner(2.0, 1.0, 2).variance_coefficient, 0.75);
  // negative spikes mirror: both extremes grow in magnitude
  const auto n = spiked_wigner(-2.0, 1.0);
  EXPECT_DOUBLE_EQ(*n.outlier, -2.5);
  EXPECT_DOUBLE_EQ(n.edge, -2.0);
}

TEST(SpikedWigner, Boundaries) {
  const auto at = spiked_wigner(1.5, 1.5);  // exactly at threshold: the outlier meets the edge
  EXPECT_EQ(at.regime, SpikeRegime::Critical);
  EXPECT_FALSE(at.outlier.has_value());
  EXPECT_DOUBLE_EQ(at.extreme, 3.0);
  EXPECT_DOUBLE_EQ(at.overlap, 0.0);
  // continuity: just above threshold the outlier is at the edge
  EXPECT_NEAR(*spiked_wigner(1.5 * (1 + 1e-9), 1.5).outlier, 3.0, 1e-12);
  EXPECT_EQ(spiked_wigner(0.5, 1.0).regime, SpikeRegime::Subcritical);
  EXPECT_EQ(spiked_wigner(0.0, 1.0).extreme, 2.0);
  EXPECT_THROW(spiked_wigner(1.0, 0.0), batchrmt::InvalidInput);
  EXPECT_THROW(spiked_wigner(1.0, 1.0, 4), batchrmt::InvalidInput);
}

TEST(SpikedWigner, ClosedFormEqualsGeneralRoute) {
  // Bound 1e-13 relative: toms748 to 52 bits on a function with derivative O(1).
  for (double sigma : {0.5, 1.0, 3.0}) {
    const auto law = semicircle_law(sigma);
    for (double theta : {-4.0, -1.2, -0.3, 0.3, 1.01, 1.2, 2.0, 7.0}) {
      const double t = theta * sigma;
      const auto c = spiked_wigner(t, sigma);
      const auto g = bgn_additive(*law, t);
      EXPECT_EQ(c.regime, g.regime) << sigma << " " << t;
      EXPECT_NEAR(g.threshold, t < 0 ? -sigma : sigma, 1e-15);  // signed: the mirror side for theta < 0
      EXPECT_NEAR(c.extreme, g.extreme, 1e-13 * std::abs(c.extreme)) << sigma << " " << t;
      EXPECT_NEAR(c.overlap, g.overlap, 1e-12) << sigma << " " << t;
      EXPECT_NEAR(c.variance_coefficient, g.variance_coefficient, 1e-12 * (1 + c.variance_coefficient));
    }
  }
}

TEST(SpikedCovariance, ClosedFormValues) {
  // §3.3 example at B = 16: ell = 40, gamma = 800
  const auto p = spiked_covariance(40.0, 800.0);
  ASSERT_TRUE(p.outlier.has_value());
  EXPECT_NEAR(*p.outlier, 860.5128205128205, 1e-10);
  const auto e = spiked_covariance(40.0, 3200.0);
  EXPECT_FALSE(e.outlier.has_value());
  EXPECT_NEAR(e.extreme, std::pow(1 + std::sqrt(3200.0), 2), 1e-10);
  // sigma^2 scaling: apply sigma = 1 formulas to ell/sigma^2, multiply by sigma^2
  const auto s = spiked_covariance(8.0, 0.5, 2.0), u = spiked_covariance(4.0, 0.5, 1.0);
  EXPECT_NEAR(*s.outlier, 2.0 * *u.outlier, 1e-14);
  EXPECT_NEAR(s.overlap, u.overlap, 1e-15);
  EXPECT_NEAR(s.variance_coefficient, 4.0 * u.variance_coefficient, 1e-13);
  EXPECT_NEAR(spiked_covariance_outlier_sd(u, 1000.0), std::sqrt(u.variance_coefficient / 1000.0), 1e-16);
}

TEST(SpikedCovariance, BoundariesAndGammaToZero) {
  const double g = 0.25;
  const auto at = spiked_covariance(1.0 + std::sqrt(g), g);  // exactly at threshold 1.5
  EXPECT_EQ(at.regime, SpikeRegime::Critical);
  EXPECT_DOUBLE_EQ(at.extreme, 2.25);
  EXPECT_NEAR(*spiked_covariance(1.5 * (1 + 1e-10), g).outlier, 2.25, 1e-9);
  // gamma -> 0: the sample covariance is the population one: outlier -> ell, overlap -> 1
  const auto z = spiked_covariance(3.0, 1e-12);
  EXPECT_NEAR(*z.outlier, 3.0, 1e-11);
  EXPECT_NEAR(z.overlap, 1.0, 1e-11);
  EXPECT_THROW(spiked_covariance(3.0, 0.0), batchrmt::InvalidInput);
  EXPECT_THROW(spiked_covariance(-3.0, 0.5), batchrmt::InvalidInput);
}

TEST(SpikedCovariance, ClosedFormEqualsMultiplicativeBgnAndPaulsOverlap) {
  // docs/theory.md §2.6 / §7.2 V6: BGN multiplicative with theta = ell/sigma^2 - 1 reproduces the
  // table (outlier and Paul's overlap). Bound 1e-12 relative.
  for (double gamma : {0.1, 0.5, 1.0, 2.0, 50.0})
    for (double sigma2 : {1.0, 0.3})
      for (double l : {1.2, 2.0, 3.0, 10.0, 100.0}) {
        const double ell = l * sigma2;
        const auto c = spiked_covariance(ell, gamma, sigma2);
        const auto law = marchenko_pastur_law(gamma, sigma2);
        const auto g = bgn_multiplicative(*law, ell / sigma2 - 1.0);
        EXPECT_EQ(c.regime, g.regime) << gamma << " " << ell;
        EXPECT_NEAR(c.extreme, g.extreme, 1e-12 * c.extreme) << gamma << " " << ell;
        EXPECT_NEAR(c.overlap, g.overlap, 1e-11) << gamma << " " << ell;
        EXPECT_NEAR(g.threshold, std::sqrt(gamma), 1e-12 * (1 + std::sqrt(gamma)));  // theta_c = sqrt(gamma)
      }
}

TEST(Bgn, EmpiricalAndQveLaws) {
  // an empirical measure has G(b+) = inf: every positive spike separates
  const auto law = empirical_law({-1.0, 0.0, 1.0});
  const auto o = bgn_additive(*law, 0.01);
  EXPECT_EQ(o.regime, SpikeRegime::Supercritical);
  EXPECT_GT(*o.outlier, 1.0);
  EXPECT_NEAR(law->cauchy(*o.outlier), 100.0, 1e-9);
  // QVE law with a delocalised spike = the QVE outlier solver (mpmath-checked in qve_test)
  Eigen::VectorXd f(2);
  f << 0.25, 0.75;
  Eigen::MatrixXd t(2, 2);
  t << 3.0, 1.0, 1.0, 0.5;
  QveSolver solver(QveProfile::block(f, t));
  const auto q = qve_law(solver);
  for (double lam : {1.5, 2.0, 3.0, -2.0}) {
    const auto b = bgn_additive(*q, lam);
    EXPECT_NEAR(*b.outlier, *solver.outlier(lam, f).outlier, 1e-11) << lam;
  }
  EXPECT_NEAR(bgn_additive(*q, 2.0).threshold, solver.outlier(2.0, f).threshold, 1e-12);
}
