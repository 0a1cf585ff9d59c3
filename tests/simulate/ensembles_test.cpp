// Simulators against exact identities and the laws of docs/theory.md (V1-V5). Each statistical
// assertion states its tolerance: 4 standard errors of an average over independent matrices
// (two-sided false-alarm 6.3e-5 per assertion if the seeds were random; fixed here, so the
// suite is deterministic) plus a stated finite-n bias budget.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "simulate/dense_spectrum.hpp"
#include "simulate/ensembles.hpp"
#include "simulate/tridiagonal_models.hpp"
#include "spectral/tridiagonal.hpp"
#include "core/statistics.hpp"

using namespace batchrmt;
using namespace batchrmt::simulate;

namespace {

struct MeanSe {
  double mean, se;
};
MeanSe mean_se(const std::vector<double>& v) {
  const auto s = summarize(v);
  return {s.mean, s.stderr_};
}

// Exact GOE variance of tr W^2 (docs/theory.md 7.2 V1).
double goe_trace_var(double n) { return 8.0 / n + 4.0 * (n - 1.0) / n; }

}  // namespace

TEST(WignerV1, DenseTraceIdentityHoldsForEveryEntryLaw) {
  // E tr W^2 = sigma^2 (n + 1) for any entry law with the variances of docs/theory.md 2.1.
  const Eigen::Index n = 60;
  const int M = 400;
  for (auto law : {EntryLaw::gaussian, EntryLaw::rademacher, EntryLaw::uniform}) {
    std::vector<double> tr;
    for (int t = 0; t < M; ++t) {
      RandomStream rng(101, static_cast<std::uint64_t>(t));
      tr.push_back(sample_wigner(n, 1.5, rng, law).squaredNorm());
    }
    const auto s = mean_se(tr);
    // Sample se (law-dependent variance); exact mean. Rademacher entries make tr W^2
    // deterministic (se = 0), hence the rounding allowance of 1e-12 relative.
    EXPECT_NEAR(s.mean, 2.25 * (n + 1), 4 * s.se + 1e-12 * 2.25 * (n + 1)) << to_string(law);
  }
}

TEST(WignerV1, TridiagonalTraceIdentityAndItsPowerAgainstADoubledDiagonal) {
  // E tr T^2 = sum E a_i^2 + 2 sum E b_k^2 = n - 1 + 2/beta (docs/theory.md 4.1), Var as GOE's
  // for beta = 1. The variant with diagonal *standard deviation* sqrt(2)x too large (the
  // public-package mistake of docs/theory.md 4.1, variance doubled) shifts the mean by +2, which
  // is > 10 of these standard errors: the same test must reject it.
  const Eigen::Index n = 200;
  const int M = 400;
  for (double beta : {1.0, 2.0}) {
    std::vector<double> tr, wrong;
    for (int t = 0; t < M; ++t) {
      RandomStream rng(7, static_cast<std::uint64_t>(t));
      auto T = sample_beta_hermite(n, beta, 1.0, 0.0, rng);
      tr.push_back(T.a.squaredNorm() + 2 * T.b.squaredNorm());
      wrong.push_back(2 * T.a.squaredNorm() + 2 * T.b.squaredNorm());  // diagonal variance doubled
    }
    const double expected = n - 1 + 2.0 / beta;
    const double tol = 4 * std::sqrt(goe_trace_var(n) / M);
    EXPECT_NEAR(mean_se(tr).mean, expected, tol) << "beta " << beta;
    EXPECT_GT(std::abs(mean_se(wrong).mean - expected), tol) << "the test would miss a doubled diagonal";
  }
}

TEST(WignerMoments, SpectralMomentsMatchTheSemicircle) {
  // (1/n) tr W^2 -> sigma^2 (exact mean sigma^2 (n+1)/n); (1/n) tr W^4 -> 2 sigma^4 (Catalan
  // number C_2) with an O(1/n) correction: E (1/n) tr W^4 = 2 + 5/n + O(n^-2) for the GOE, so
  // the bias budget is 6/n. Between-matrix standard errors.
  const Eigen::Index n = 150;
  const int M = 100;
  std::vector<double> m2, m4;
  for (int t = 0; t < M; ++t) {
    RandomStream rng(3, static_cast<std::uint64_t>(t));
    const Eigen::VectorXd ev = symmetric_eigenvalues(sample_wigner(n, 1.0, rng));
    m2.push_back(ev.array().square().mean());
    m4.push_back(ev.array().pow(4).mean());
  }
  EXPECT_NEAR(mean_se(m2).mean, (n + 1.0) / n, 4 * mean_se(m2).se);
  EXPECT_NEAR(mean_se(m4).mean, 2.0, 4 * mean_se(m4).se + 6.0 / n);
}

TEST(TracyWidom, RescaledTopEigenvalueOfTridiagonalModelHasTracyWidomMoments) {
  // x = n^{2/3} (lambda_max - 2) over M = 2000 independent truncated beta-Hermite draws at
  // n = 1e6 (K = 10 n^{1/3} = 1000). Reference moments (docs/theory.md 7.3, Bornemann 2010).
  // Tolerances (docs/theory.md 7.4): mean 4 sqrt(var/M), variance 4 var sqrt((2 + kappa4)/M);
  // bias budget O(n^{-2/3}) = 1e-4 for Gaussian ensembles, negligible here.
  // A doubled diagonal variance moves the mean far outside (checked below for beta = 1).
  struct Ref {
    double beta, mean, var, kurt;
  };
  const int M = 2000;
  const Eigen::Index n = 1000000;
  const Eigen::Index K = edge_truncation_size(n);
  for (const Ref& ref : {Ref{1, -1.2065335745820, 1.607781034581, 0.1652429384},
                         Ref{2, -1.771086807411, 0.8131947928329, 0.0934480876}}) {
    std::vector<double> x;
    for (int t = 0; t < M; ++t) {
      RandomStream rng(2026, static_cast<std::uint64_t>(t));
      x.push_back(std::pow(static_cast<double>(n), 2.0 / 3.0) * (top_eigenvalue(sample_beta_hermite(n, ref.beta, 1.0, 0.0, rng, K)) - 2.0));
    }
    const auto s = summarize(x);
    EXPECT_NEAR(s.mean, ref.mean, 4 * std::sqrt(ref.var / M) + 1e-4) << "beta " << ref.beta;
    EXPECT_NEAR(s.sd * s.sd, ref.var, 4 * ref.var * std::sqrt((2 + ref.kurt) / M) + 1e-4) << "beta " << ref.beta;
  }
  // Power: the same statistic with the diagonal variance doubled (a_i scaled by sqrt 2).
  std::vector<double> wrong;
  for (int t = 0; t < M; ++t) {
    RandomStream rng(2026, static_cast<std::uint64_t>(t));
    auto T = sample_beta_hermite(n, 1.0, 1.0, 0.0, rng, K);
    T.a *= std::sqrt(2.0);
    wrong.push_back(std::pow(static_cast<double>(n), 2.0 / 3.0) * (top_eigenvalue(T) - 2.0));
  }
  const auto w = summarize(wrong);
  const bool mean_ok = std::abs(w.mean + 1.2065335745820) <= 4 * std::sqrt(1.607781034581 / M);
  const bool var_ok = std::abs(w.sd * w.sd - 1.607781034581) <= 4 * 1.607781034581 * std::sqrt(2.1652429384 / M);
  EXPECT_FALSE(mean_ok && var_ok) << "a doubled diagonal variance went undetected: mean " << w.mean << ", var " << w.sd * w.sd;
}

TEST(SpikedWigner, OutlierMeanVarianceAndOverlapMatchBBP) {
  // theta = 2, sigma = 1, n = 200: |theta - 1| = 1 >= 5 n^{-1/3} = 0.86 (outside the critical
  // window). rho = theta + 1/theta = 2.5, Var ~ 2(1 - 1/theta^2)/n, overlap 1 - 1/theta^2 = 0.75.
  // Bias budgets (docs/theory.md 7.2 V4): mean 2/n, overlap 3/n (both O(1/n) corrections).
  const Eigen::Index n = 200;
  const int M = 300;
  const double theta = 2.0, v = 2.0 * (1 - 1 / (theta * theta));
  RandomStream vec_rng(55, 0);
  const Eigen::MatrixXd vec = random_orthonormal_columns(n, 1, vec_rng);
  std::vector<double> top, overlap;
  for (int t = 0; t < M; ++t) {
    RandomStream rng(56, static_cast<std::uint64_t>(t));
    const Eigen::MatrixXd h = sample_spiked_wigner(n, 1.0, {theta}, rng, EntryLaw::gaussian, vec);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(h);
    top.push_back(es.eigenvalues()(n - 1));
    overlap.push_back(std::pow(es.eigenvectors().col(n - 1).dot(vec.col(0)), 2));
  }
  const auto s = summarize(top);
  EXPECT_NEAR(s.mean, theta + 1 / theta, 4 * std::sqrt(v / (n * M)) + 2.0 / n);
  EXPECT_NEAR(n * s.sd * s.sd, v, 4 * std::sqrt(2.0 / M) * v + 0.15 * v);  // + a 15 % finite-n budget
  const auto o = summarize(overlap);
  EXPECT_NEAR(o.mean, 1 - 1 / (theta * theta), 4 * o.sd / std::sqrt(M) + 3.0 / n);
}

TEST(SamplerCrossValidation, DenseAndTridiagonalAgreeInDistribution) {
  // V5: two-sample KS at p >= 1e-3 on lambda_max: dense GOE vs D–E tridiagonal; dense spiked
  // (random v) vs a_1 += theta; dense spiked Wishart vs L_11 spike; truncation K vs 2K.
  const Eigen::Index n = 400;
  const int M = 200;
  std::vector<double> dense, tri, dense_sp, tri_sp, wish, bidiag;
  for (int t = 0; t < M; ++t) {
    RandomStream r1(11, static_cast<std::uint64_t>(t)), r2(12, static_cast<std::uint64_t>(t));
    RandomStream r3(13, static_cast<std::uint64_t>(t)), r4(14, static_cast<std::uint64_t>(t));
    dense.push_back(symmetric_eigenvalues(sample_wigner(n, 1.0, r1))(n - 1));
    tri.push_back(top_eigenvalue(sample_beta_hermite(n, 1.0, 1.0, 0.0, r2)));
    dense_sp.push_back(symmetric_eigenvalues(sample_spiked_wigner(n, 1.0, {1.8}, r3))(n - 1));
    tri_sp.push_back(top_eigenvalue(sample_beta_hermite(n, 1.0, 1.0, 1.8, r4)));
    RandomStream r5(15, static_cast<std::uint64_t>(t)), r6(16, static_cast<std::uint64_t>(t));
    const Eigen::VectorXd ew = symmetric_eigenvalues(sample_spiked_covariance(100, 200, 1.0, {3.0}, r5));
    wish.push_back(ew(ew.size() - 1));
    bidiag.push_back(top_eigenvalue(sample_beta_laguerre(100, 200, 1.0, 1.0, 3.0, r6)));
  }
  EXPECT_GE(ks_two_sample(dense, tri).p_value, 1e-3);
  EXPECT_GE(ks_two_sample(dense_sp, tri_sp).p_value, 1e-3);
  EXPECT_GE(ks_two_sample(wish, bidiag).p_value, 1e-3);
  // The test has power: a tridiagonal model with the diagonal variance doubled is rejected.
  std::vector<double> wrong;
  for (int t = 0; t < M; ++t) {
    RandomStream r(17, static_cast<std::uint64_t>(t));
    auto T = sample_beta_hermite(n, 1.0, 1.0, 0.0, r);
    T.a *= std::sqrt(2.0);
    wrong.push_back(top_eigenvalue(T));
  }
  EXPECT_LT(ks_two_sample(dense, wrong).p_value, 1e-3);
  // Truncation K vs 2K at n = 1e5.
  const Eigen::Index big = 100000, K = edge_truncation_size(big);
  std::vector<double> tk, t2k;
  for (int t = 0; t < M; ++t) {
    RandomStream a(18, static_cast<std::uint64_t>(t)), b(19, static_cast<std::uint64_t>(t));
    tk.push_back(top_eigenvalue(sample_beta_hermite(big, 1.0, 1.0, 0.0, a, K)));
    t2k.push_back(top_eigenvalue(sample_beta_hermite(big, 1.0, 1.0, 0.0, b, 2 * K)));
  }
  EXPECT_GE(ks_two_sample(tk, t2k).p_value, 1e-3);
}

TEST(Wishart, TraceMomentsAreExactForDenseAndBidiagonal) {
  // X p x m standard Gaussian: E tr(XX^T/m) = p, E tr (XX^T/m)^2 = p (p + m + 1)/m, both
  // models (Sigma = sigma2 I scales them by sigma2 and sigma2^2). Between-matrix se.
  const Eigen::Index p = 40, m = 80;
  const int M = 400;
  const double s2 = 0.7;
  std::vector<double> t1d, t2d, t1b, t2b;
  for (int t = 0; t < M; ++t) {
    RandomStream r1(21, static_cast<std::uint64_t>(t)), r2(22, static_cast<std::uint64_t>(t));
    const Eigen::MatrixXd c = sample_spiked_covariance(p, m, s2, {}, r1);
    t1d.push_back(c.trace());
    t2d.push_back(c.squaredNorm());
    const auto T = sample_beta_laguerre(p, m, 1.0, s2, s2, r2);
    t1b.push_back(T.a.sum());
    t2b.push_back(T.a.squaredNorm() + 2 * T.b.squaredNorm());
  }
  const double e1 = s2 * p, e2 = s2 * s2 * p * (p + m + 1.0) / m;
  EXPECT_NEAR(mean_se(t1d).mean, e1, 4 * mean_se(t1d).se);
  EXPECT_NEAR(mean_se(t2d).mean, e2, 4 * mean_se(t2d).se);
  EXPECT_NEAR(mean_se(t1b).mean, e1, 4 * mean_se(t1b).se);
  EXPECT_NEAR(mean_se(t2b).mean, e2, 4 * mean_se(t2b).se);
}

TEST(Wishart, GramCompanionHasTheSameNonzeroSpectrum) {
  RandomStream a(31, 0), b(31, 0);
  const Eigen::VectorXd big = symmetric_eigenvalues(sample_spiked_covariance(50, 20, 1.0, {4.0}, a));
  EXPECT_EQ(big.size(), 20);  // p > m: the m x m Gram matrix
  EXPECT_GT(big.minCoeff(), 0.0);
}

TEST(VarianceProfile, EntriesHaveTheProfileVariancesAndBlockSpikeHasItsMasses) {
  BlockProfile prof{{30, 90}, (Eigen::MatrixXd(2, 2) << 0.03, 0.01, 0.01, 0.005).finished()};
  const int M = 200;
  double s11 = 0, s12 = 0, s22 = 0, d11 = 0;
  for (int t = 0; t < M; ++t) {
    RandomStream r(41, static_cast<std::uint64_t>(t));
    const Eigen::MatrixXd w = sample_profile_wigner(prof, r);
    s11 += w.block(0, 0, 30, 30).triangularView<Eigen::StrictlyUpper>().toDenseMatrix().squaredNorm() / (30 * 29 / 2.0);
    s12 += w.block(0, 30, 30, 90).squaredNorm() / (30 * 90.0);
    s22 += w.block(30, 30, 90, 90).triangularView<Eigen::StrictlyUpper>().toDenseMatrix().squaredNorm() / (90 * 89 / 2.0);
    d11 += w.diagonal().head(30).squaredNorm() / 30.0;
  }
  // Each average has relative sd sqrt(2/(count M)); 4 sd tolerances.
  EXPECT_NEAR(s11 / M, 0.03, 4 * 0.03 * std::sqrt(2.0 / (435 * M)));
  EXPECT_NEAR(s12 / M, 0.01, 4 * 0.01 * std::sqrt(2.0 / (2700 * M)));
  EXPECT_NEAR(s22 / M, 0.005, 4 * 0.005 * std::sqrt(2.0 / (4005 * M)));
  EXPECT_NEAR(d11 / M, 0.06, 4 * 0.06 * std::sqrt(2.0 / (30 * M)));  // GOE diagonal: 2 s_aa
  RandomStream r(42, 0);
  const Eigen::VectorXd phi = block_spike_vector(prof, {0.25, 0.75}, r);
  EXPECT_NEAR(phi.head(30).squaredNorm(), 0.25, 1e-14);
  EXPECT_NEAR(phi.squaredNorm(), 1.0, 1e-14);
  EXPECT_THROW(block_spike_vector(prof, {0.5, 0.6}, r), batchrmt::InvalidInput);
  BlockProfile asym{{2, 2}, (Eigen::MatrixXd(2, 2) << 1, 2, 3, 1).finished()};
  EXPECT_THROW(asym.validate("t"), batchrmt::InvalidInput);
}

TEST(RandomOrthonormal, ColumnsAreOrthonormal) {
  RandomStream r(1, 0);
  const Eigen::MatrixXd q = random_orthonormal_columns(50, 4, r);
  EXPECT_LT((q.transpose() * q - Eigen::MatrixXd::Identity(4, 4)).norm(), 1e-13);
}

TEST(TridiagonalTop, WarmStartedBisectionEqualsColdStartToAFewUlp) {
  // top_eigenvalue() brackets from the leading block (Cauchy interlacing) for n >= 20000;
  // it must agree with the cold Gershgorin-start bisection of spectral/ to the bisection
  // tolerance (2 ulp relative each) — for plain, spiked and Laguerre models.
  for (std::uint64_t t = 0; t < 3; ++t) {
    RandomStream r(91, t);
    const auto h = sample_beta_hermite(60000, 1.0, 1.0, t == 1 ? 1.5 : 0.0, r);
    const double cold = spectral::tridiagonal_kth_largest(h.a, h.b, 1).value;
    EXPECT_NEAR(top_eigenvalue(h), cold, 8 * std::numeric_limits<double>::epsilon() * std::abs(cold));
  }
  RandomStream r(92, 0);
  const auto l = sample_beta_laguerre(30000, 60000, 1.0, 1.0, 4.0, r);
  const double cold = spectral::tridiagonal_kth_largest(l.a, l.b, 1).value;
  EXPECT_NEAR(top_eigenvalue(l), cold, 8 * std::numeric_limits<double>::epsilon() * std::abs(cold));
}

TEST(TridiagonalExtremes, BothEndsWarmStartedEqualColdStartsToAFewUlpAndSmallModelsExactly) {
  // extreme_eigenvalues() (what the CLI measures per trial) warm-starts both ends from the leading
  // block for n >= 20000; below, it is bit-identical to top_eigenvalue / bottom_eigenvalue.
  const double eps = std::numeric_limits<double>::epsilon();
  for (std::uint64_t t = 0; t < 3; ++t) {
    RandomStream r(93, t);
    const auto h = sample_beta_hermite(60000, 1.0, 1.0, t == 1 ? 1.5 : (t == 2 ? -1.5 : 0.0), r);
    const auto e = extreme_eigenvalues(h);
    const double top = spectral::tridiagonal_kth_largest(h.a, h.b, 1).value;
    const double bottom = spectral::tridiagonal_kth_smallest(h.a, h.b, 1).value;
    const double scale = std::max(std::abs(top), std::abs(bottom));  // ~ ||T||: the bisection's tolerance scale
    EXPECT_NEAR(e.top, top, 8 * eps * scale);
    EXPECT_NEAR(e.bottom, bottom, 8 * eps * scale);
    EXPECT_NEAR(bottom_eigenvalue(h), bottom, 8 * eps * scale);
  }
  RandomStream r(94, 0);
  const auto l = sample_beta_laguerre(30000, 60000, 1.0, 1.0, 4.0, r);
  const auto e = extreme_eigenvalues(l);
  const double top = spectral::tridiagonal_kth_largest(l.a, l.b, 1).value;
  const double bottom = spectral::tridiagonal_kth_smallest(l.a, l.b, 1).value;
  // The bisection tolerance is absolute at the scale of ||T|| (dstebz's abs_tol = ulp * ||T||),
  // so the small bottom (about 0.09 here) is compared at the top's scale.
  EXPECT_NEAR(e.top, top, 8 * eps * std::abs(top));
  EXPECT_NEAR(e.bottom, bottom, 8 * eps * std::abs(top));
  RandomStream s(95, 0);
  const auto small = sample_beta_hermite(5000, 1.0, 1.0, 2.0, s);
  const auto es = extreme_eigenvalues(small);
  EXPECT_EQ(es.top, top_eigenvalue(small));
  EXPECT_EQ(es.bottom, bottom_eigenvalue(small));
}
