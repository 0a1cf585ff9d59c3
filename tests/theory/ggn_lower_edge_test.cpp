// The batch GGN's lower edge from the population covariance (theory/ggn_lower_edge.hpp):
// closed-form values, the rank-deficient side, and a Monte-Carlo check of the finite-m mean
// against simulated white Wishart matrices (the asymptotic edge alone must miss it).
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <vector>

#include "core/errors.hpp"
#include "core/rng.hpp"
#include "theory/ggn_lower_edge.hpp"

using namespace batchrmt::theory;

TEST(GgnLowerEdge, ClosedFormValuesAndTheRankDeficientSide) {
  const auto r = ggn_population_lower_edge(2.0, 100.0, 400.0);
  EXPECT_DOUBLE_EQ(r.gamma, 0.25);
  EXPECT_DOUBLE_EQ(r.edge, 0.5);  // 2 (1 - 1/2)^2
  // Scaling with the 1/2 shifts, by hand.
  const double a = std::sqrt(399.5), b = std::sqrt(99.5);
  const auto e = wishart_lower_edge_scaling(100.0, 400.0);
  EXPECT_NEAR(e.center, (a - b) * (a - b), 1e-12);
  EXPECT_NEAR(e.scale, (a - b) * std::cbrt(1 / b - 1 / a), 1e-12);
  const auto en = wishart_lower_edge_scaling(100.0, 400.0, true);
  EXPECT_NEAR(en.center, e.center / 400.0, 1e-15);
  // The finite-m mean lies inside the bulk (TW_1 mean < 0): above the asymptotic edge, by
  // 1.2065 scales (times sigma^2).
  EXPECT_NEAR(r.mean, 2.0 * (en.center + 1.2065357 * en.scale), 1e-6);
  EXPECT_GT(r.mean, r.edge);
  EXPECT_NEAR(r.sd, 2.0 * en.scale * 1.2680, 2e-4);
  // gamma >= 1: rank deficient, the smallest eigenvalue is 0.
  for (double m : {100.0, 50.0}) {
    const auto z = ggn_population_lower_edge(1.0, 100.0, m);
    EXPECT_EQ(z.edge, 0.0);
    EXPECT_EQ(z.mean, 0.0);
    EXPECT_EQ(z.sd, 0.0);
  }
  EXPECT_THROW(ggn_population_lower_edge(0.0, 100.0, 400.0), batchrmt::InvalidInput);
  EXPECT_THROW(wishart_lower_edge_scaling(100.0, 100.5), batchrmt::InvalidInput);
}

TEST(GgnLowerEdge, FiniteMeanMatchesSimulatedWishartAndTheAsymptoticEdgeDoesNot) {
  // sigma^2 (1/m) X^T X, X of m x P standard Gaussians: 400 draws, P = 40, m = 160 (gamma 1/4).
  const int P = 40, m = 160, trials = 400;
  const double sigma2 = 1.5;
  batchrmt::RandomStream rng(20261202, 7);
  std::vector<double> x;
  for (int t = 0; t < trials; ++t) {
    Eigen::MatrixXd X(m, P);
    for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.normal();
    const Eigen::MatrixXd S = sigma2 * (X.transpose() * X) / m;
    x.push_back(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(S, Eigen::EigenvaluesOnly).eigenvalues()(0));
  }
  double mean = 0, ss = 0;
  for (double v : x) mean += v / trials;
  for (double v : x) ss += (v - mean) * (v - mean);
  const double sd = std::sqrt(ss / (trials - 1)), se = sd / std::sqrt(trials);
  const auto r = ggn_population_lower_edge(sigma2, P, m);
  // Tolerance: 4 se plus a quarter of the predicted sd (the O(m^{-2/3}) accuracy of the TW
  // approximation in its own units, Ma 2012).
  const double tol = 4 * se + 0.25 * r.sd;
  EXPECT_NEAR(mean, r.mean, tol);
  EXPECT_NEAR(sd, r.sd, 0.15 * r.sd);
  // The asymptotic edge is a full TW scale below the finite-m mean: outside the same tolerance.
  EXPECT_GT(std::abs(mean - r.edge), tol);
}
