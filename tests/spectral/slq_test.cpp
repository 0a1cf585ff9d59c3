// SLQ identities, moments, densities and Hutchinson estimators (docs/theory.md 5.6, 5.8).
//
// Statistical tests use fixed seeds, so each is deterministic; the tolerance is stated as a
// multiple of the estimator's own between-probe standard error (4 se: a false alarm with
// probability ~6e-5 for a normal estimate, were the seed changed).
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <numeric>

#include "core/errors.hpp"
#include "spectral/slq.hpp"
#include "tests/spectral/test_matrices.hpp"

namespace bs = batchrmt::spectral;

namespace {
// GOE plus a diagonal ramp: non-trivial trace, moments and probe variance.
Eigen::MatrixXd test_matrix(Eigen::Index n, std::uint64_t seed) {
  Eigen::MatrixXd a = bs::testing::goe(n, seed);
  for (Eigen::Index i = 0; i < n; ++i) a(i, i) += 1.0 + static_cast<double>(i) / static_cast<double>(n);
  return a;
}
}  // namespace

TEST(Slq, ExactQuadratureIdentitiesPerRun) {
  const Eigen::MatrixXd a = test_matrix(300, 1);
  bs::SlqOptions o;
  o.steps = 30;
  o.probes = 4;
  o.seed = 10;
  for (auto probe : {bs::StartVector::Rademacher, bs::StartVector::Gaussian}) {
    o.probe = probe;
    const auto r = bs::slq(bs::DenseOperator(a), o);
    ASSERT_EQ(r.runs.size(), 4u);
    for (std::size_t l = 0; l < r.runs.size(); ++l) {
      const auto& run = r.runs[l];
      EXPECT_EQ(run.stream, l);  // probe l uses stream + l, recorded
      double s0 = 0, s1 = 0, s2 = 0;
      for (std::size_t i = 0; i < run.ritz_values.size(); ++i) {
        s0 += run.weights[i];
        s1 += run.weights[i] * run.ritz_values[i];
        s2 += run.weights[i] * run.ritz_values[i] * run.ritz_values[i];
      }
      EXPECT_NEAR(s0, 1.0, 1e-13);
      EXPECT_NEAR(s1, run.alpha[0], 1e-12 * std::fabs(run.alpha[0]));
      EXPECT_NEAR(s2, run.alpha[0] * run.alpha[0] + run.beta[0] * run.beta[0], 1e-12 * s2);
    }
    EXPECT_EQ(r.applications, 4 * 30);
    const auto measure = bs::slq_measure(r);
    EXPECT_NEAR(std::accumulate(measure.weights.begin(), measure.weights.end(), 0.0), 1.0, 1e-13);
  }
}

TEST(Slq, MomentsAndTracesWithinTheProbeErrorBar) {
  const Eigen::Index n = 400;
  const Eigen::MatrixXd a = test_matrix(n, 2);
  const double nd = static_cast<double>(n);
  const double m1 = a.trace() / nd;
  const double m2 = (a * a).trace() / nd;
  const Eigen::VectorXd ev = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(a, Eigen::EigenvaluesOnly).eigenvalues();
  const double trexp = ev.array().exp().sum();
  bs::SlqOptions o;
  o.steps = 40;
  o.probes = 30;
  o.seed = 2024;
  const auto r = bs::slq(bs::DenseOperator(a), o);
  const auto e1 = bs::slq_moment(r, 1);
  const auto e2 = bs::slq_moment(r, 2);
  EXPECT_EQ(e1.samples, 30u);
  EXPECT_GT(e1.std_error, 0.0);
  EXPECT_LE(std::fabs(e1.value - m1), 4.0 * e1.std_error) << e1.value << " +- " << e1.std_error << " vs " << m1;
  EXPECT_LE(std::fabs(e2.value - m2), 4.0 * e2.std_error) << e2.value << " +- " << e2.std_error << " vs " << m2;
  const auto t = bs::slq_trace(r, [](double x) { return std::exp(x); });
  EXPECT_LE(std::fabs(t.value - trexp), 4.0 * t.std_error) << t.value << " +- " << t.std_error << " vs " << trexp;
  // The error bars are informative: not absurdly wide (relative error bar below 2%).
  EXPECT_LT(e2.std_error / m2, 0.02);
  // Moment 0 is exactly 1 in every run.
  EXPECT_NEAR(bs::slq_moment(r, 0).value, 1.0, 1e-13);
}

TEST(Slq, DensityOfGoeIsSemicircleWithStatedBroadening) {
  const Eigen::Index n = 1000;
  const Eigen::MatrixXd a = bs::testing::goe(n, 5);
  bs::SlqOptions o;
  o.steps = 60;
  o.probes = 6;
  o.seed = 1;
  const auto r = bs::slq(bs::DenseOperator(a), o);
  bs::DensityOptions d;
  d.points = 801;
  const auto dens = bs::slq_density(r, d);
  EXPECT_EQ(dens.convention, bs::Broadening::StandardDeviation);
  EXPECT_FALSE(dens.renormalised);
  EXPECT_GT(dens.sigma, 0.0);
  EXPECT_NEAR(dens.variance, dens.sigma * dens.sigma, 1e-15);
  double integral = 0.0;
  for (std::size_t k = 1; k < dens.x.size(); ++k)
    integral += 0.5 * (dens.density[k] + dens.density[k - 1]) * (dens.x[k] - dens.x[k - 1]);
  EXPECT_NEAR(integral, 1.0, 1e-6);  // the grid covers +-5 sigma beyond the extreme nodes
  // Semicircle convolved with the N(0, 0.1^2) kernel, at a few points: within 4 between-probe
  // standard errors (probe noise dominates: se ~ 0.015 with 6 probes, i.e. ~5%).
  bs::DensityOptions at;
  at.grid = {-1.0, 0.0, 0.5, 1.0};
  at.sigma = 0.1;
  const auto pts = bs::slq_density(r, at);
  for (std::size_t k = 0; k < at.grid.size(); ++k) {
    double ref = 0.0;
    const int nq = 4000;
    for (int q = 0; q < nq; ++q) {
      const double t = -2.0 + 4.0 * (q + 0.5) / nq;
      const double u = (at.grid[k] - t) / 0.1;
      ref += std::sqrt(4.0 - t * t) / (2.0 * M_PI) * std::exp(-0.5 * u * u) / (0.1 * std::sqrt(2.0 * M_PI)) * (4.0 / nq);
    }
    EXPECT_GT(pts.std_error[k], 0.0);
    EXPECT_LT(pts.std_error[k], 0.05);
    EXPECT_LE(std::fabs(pts.density[k] - ref), 4.0 * pts.std_error[k]) << "x=" << at.grid[k] << " ref " << ref;
  }
  EXPECT_DOUBLE_EQ(pts.sigma, 0.1);

  bs::DensityOptions g;
  g.convention = bs::Broadening::GhorbaniVariance;
  const auto gh = bs::slq_density(r, g);
  EXPECT_EQ(gh.x.size(), 10000u);
  EXPECT_TRUE(gh.renormalised);
  const double range = gh.x.back() - gh.x.front();
  EXPECT_NEAR(gh.variance, 1e-5 * std::max(1.0, range), 1e-15);
  double sum = 0.0;
  for (double v : gh.density) sum += v;
  EXPECT_NEAR(sum * (gh.x[1] - gh.x[0]), 1.0, 1e-12);
}

TEST(Hutchinson, UnbiasedOnADiagonal) {
  const Eigen::Index n = 500;
  Eigen::VectorXd dvec(n);
  for (Eigen::Index i = 0; i < n; ++i) dvec[i] = std::cos(static_cast<double>(i)) + 0.5;
  const Eigen::MatrixXd d = dvec.asDiagonal();
  const double tr = dvec.sum();
  bs::HutchinsonOptions o;
  o.probes = 5;
  o.seed = 3;
  // Rademacher on a diagonal: z^T D z = tr D for every probe (zero variance).
  const auto rad = bs::hutchinson_trace(bs::DenseOperator(d), o);
  for (double s : rad.samples) EXPECT_NEAR(s, tr, 1e-10);
  EXPECT_EQ(rad.applications, 5);
  // Gaussian: z^T D z = sum d_i z_i^2, mean tr D, variance 2 sum d_i^2. Average of 400 probes
  // within 4 of its own standard errors, and that error close to the theoretical one.
  o.probe = bs::StartVector::Gaussian;
  o.probes = 400;
  const auto gau = bs::hutchinson_trace(bs::DenseOperator(d), o);
  EXPECT_LE(std::fabs(gau.estimate.value - tr), 4.0 * gau.estimate.std_error);
  const double se_theory = std::sqrt(2.0 * dvec.squaredNorm() / 400.0);
  EXPECT_NEAR(gau.estimate.std_error, se_theory, 0.2 * se_theory);  // sd of a sd estimate with 400 samples ~ 3.5%... (heavier tails: chi-square)
  EXPECT_EQ(gau.seed, 3u);
  EXPECT_EQ(gau.probe, bs::StartVector::Gaussian);
}

TEST(Hutchinson, FrobeniusNormWithinErrorBar) {
  const Eigen::MatrixXd a = test_matrix(300, 9);
  const double f2 = a.squaredNorm();
  bs::HutchinsonOptions o;
  o.probes = 200;
  o.seed = 8;
  o.probe = bs::StartVector::Gaussian;
  const auto r = bs::hutchinson_frobenius_squared(bs::DenseOperator(a), o);
  EXPECT_LE(std::fabs(r.estimate.value - f2), 4.0 * r.estimate.std_error);
  o.probe = bs::StartVector::Rademacher;
  const auto rr = bs::hutchinson_frobenius_squared(bs::DenseOperator(a), o);
  EXPECT_LE(std::fabs(rr.estimate.value - f2), 4.0 * rr.estimate.std_error);
}

TEST(Slq, RejectsBadInput) {
  const Eigen::MatrixXd a = bs::testing::goe(10, 1);
  bs::SlqOptions o;
  o.probes = 0;
  EXPECT_THROW(bs::slq(bs::DenseOperator(a), o), batchrmt::InvalidInput);
  o.probes = 1;
  o.probe = bs::StartVector::Given;
  EXPECT_THROW(bs::slq(bs::DenseOperator(a), o), batchrmt::InvalidInput);
  bs::SlqResult empty;
  EXPECT_THROW(bs::slq_moment(empty, 1), batchrmt::InvalidInput);
  o.probe = bs::StartVector::Rademacher;
  const auto one = bs::slq(bs::DenseOperator(a), o);
  EXPECT_TRUE(std::isnan(bs::slq_moment(one, 1).std_error));  // one probe: no error bar, said so
}
