// Top-k / bottom-k: Spectra and our Lanczos agree with each other and with the dense solver.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>

#include <cmath>

#include "core/errors.hpp"
#include "spectral/eigs.hpp"
#include "tests/spectral/test_matrices.hpp"

namespace bs = batchrmt::spectral;

namespace {
// GOE + 5 v v^T - 4.5 u u^T + 3.5 w w^T: three outliers (about 5.2, -4.72, 3.79) well
// separated from the bulk [-2, 2] and from one another.
Eigen::MatrixXd two_sided_spikes(Eigen::Index n, std::uint64_t seed) {
  Eigen::MatrixXd a = bs::testing::goe(n, seed);
  batchrmt::RandomStream rng(seed, 9);
  Eigen::MatrixXd v(n, 3);
  rng.fill_normal(v.data(), static_cast<std::size_t>(3 * n));
  const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(v).householderQ() * Eigen::MatrixXd::Identity(n, 3);
  a += 5.0 * q.col(0) * q.col(0).transpose() - 4.5 * q.col(1) * q.col(1).transpose() +
       3.5 * q.col(2) * q.col(2).transpose();
  return a;
}
}  // namespace

TEST(Eigs, SpectraAndLanczosAgreeWithDenseTopAndBottom) {
  const Eigen::Index n = 700;
  const Eigen::MatrixXd a = two_sided_spikes(n, 12);
  const Eigen::VectorXd ev = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(a, Eigen::EigenvaluesOnly).eigenvalues();
  const bs::DenseOperator op(a);
  bs::EigsOptions o;
  o.nev = 2;
  o.tol = 1e-11;
  o.seed = 4;
  for (auto method : {bs::EigsMethod::Spectra, bs::EigsMethod::Lanczos}) {
    const auto top = bs::eigs(op, o, method);
    EXPECT_EQ(top.status, bs::EigsStatus::Converged) << bs::to_string(method);
    ASSERT_EQ(top.values.size(), 2u);
    EXPECT_EQ(top.converged, 2u);
    EXPECT_NEAR(top.values[0], ev[n - 1], 1e-10 * std::fabs(ev[n - 1])) << bs::to_string(method);
    EXPECT_NEAR(top.values[1], ev[n - 2], 1e-10 * std::fabs(ev[n - 2])) << bs::to_string(method);
    ASSERT_EQ(top.residuals.size(), 2u);
    for (double res : top.residuals) EXPECT_LE(res, 1e-8) << bs::to_string(method);
    EXPECT_GT(top.applications, 0);
  }
  o.nev = 1;
  o.which = bs::Which::Smallest;
  const auto bs1 = bs::eigs_spectra(op, o);
  const auto bl1 = bs::eigs_lanczos(op, o);
  EXPECT_NEAR(bs1.values[0], ev[0], 1e-10 * std::fabs(ev[0]));
  EXPECT_NEAR(bl1.values[0], ev[0], 1e-10 * std::fabs(ev[0]));
  EXPECT_NEAR(bs1.values[0], bl1.values[0], 1e-10 * std::fabs(ev[0]));
  // Eigenvectors agree up to sign.
  EXPECT_NEAR(std::fabs(bs1.vectors.col(0).dot(bl1.vectors.col(0))), 1.0, 1e-9);
  EXPECT_EQ(bl1.residual_bounds.size(), 1u);
  EXPECT_LE(bl1.residual_bounds[0], 1e-10 * std::fabs(ev[0]));
}

TEST(Eigs, NonConvergenceIsAStatusWithThePartialResult) {
  const Eigen::Index n = 500;
  const Eigen::MatrixXd a = bs::testing::goe(n, 3);  // edge eigenvalues: tiny gaps, slow
  const bs::DenseOperator op(a);
  bs::EigsOptions o;
  o.nev = 3;
  o.tol = 1e-12;
  o.max_restarts = 1;
  o.ncv = 8;
  const auto s = bs::eigs_spectra(op, o);
  EXPECT_EQ(s.status, bs::EigsStatus::NotConverged);
  EXPECT_LT(s.converged, 3u);
  EXPECT_EQ(s.values.size(), s.converged);
  o.max_steps = 10;
  const auto l = bs::eigs_lanczos(op, o);
  EXPECT_EQ(l.status, bs::EigsStatus::NotConverged);
  EXPECT_EQ(l.values.size(), 3u);  // best current Ritz values kept with their bounds
  EXPECT_EQ(l.residual_bounds.size(), 3u);
  EXPECT_EQ(l.iterations, 10u);
  EXPECT_GT(l.residual_bounds[0], 1e-6);
}

TEST(Eigs, TinyProblemsAndBadInput) {
  Eigen::MatrixXd a(3, 3);
  a << 2, 1, 0, 1, 2, 1, 0, 1, 2;  // eigenvalues 2 - sqrt 2, 2, 2 + sqrt 2
  bs::EigsOptions o;
  o.nev = 3;
  const auto r = bs::eigs_spectra(bs::DenseOperator(a), o);  // falls back to Lanczos (nev = n)
  ASSERT_EQ(r.values.size(), 3u);
  EXPECT_NEAR(r.values[0], 2 + std::sqrt(2.0), 1e-14);
  EXPECT_NEAR(r.values[2], 2 - std::sqrt(2.0), 1e-14);
  o.nev = 4;
  EXPECT_THROW(bs::eigs_spectra(bs::DenseOperator(a), o), batchrmt::InvalidInput);
  o.nev = 1;
  o.tol = 0;
  EXPECT_THROW(bs::eigs_lanczos(bs::DenseOperator(a), o), batchrmt::InvalidInput);
}
