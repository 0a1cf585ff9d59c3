// The per-sample pool: exact sampling-without-replacement identities (docs/theory.md 1.2) and the
// factored (regenerated) form against explicit per-sample matrices.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "core/rng.hpp"
#include "simulate/sample_pool.hpp"
#include "theory/batch_hessian.hpp"
#include "core/statistics.hpp"

using namespace batchrmt;
using namespace batchrmt::simulate;

namespace {

// A Hessian pool of P x P samples, N of them, with the given spikes and entry variance.
PoolSpec hessian_pool(Eigen::Index P, std::int64_t N, std::vector<double> spikes, double s2 = 1.0) {
  PoolSpec spec;
  spec.P = P;
  spec.N = N;
  spec.spikes = std::move(spikes);
  spec.s2 = s2;
  return spec;
}

}  // namespace

TEST(SamplePool, EmpiricalMeanEqualsTheMeanOfTheSamples) {
  SamplePool pool(hessian_pool(12, 30, {3.0, -2.0}, 0.2), 5);
  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(12, 12);
  for (int i = 0; i < 30; ++i) sum += pool.sample(i);
  EXPECT_LT((sum / 30 - pool.empirical()).norm(), 1e-12);
  // Batch mean over {0, 3, 7} equals the mean of those samples.
  const Eigen::MatrixXd b = pool.batch_mean({0, 3, 7});
  EXPECT_LT((b - (pool.sample(0) + pool.sample(3) + pool.sample(7)) / 3).norm(), 1e-12);
  // A sample is the same matrix whichever batch holds it, and symmetric.
  EXPECT_EQ(pool.sample(3), pool.batch_mean({3}));
  EXPECT_LT((pool.sample(4) - pool.sample(4).transpose()).norm(), 1e-15);
}

TEST(SamplePool, CacheGivesBitIdenticalBatches) {
  const PoolSpec spec = hessian_pool(15, 40, {2.0});
  SamplePool a(spec, 9), b(spec, 9);
  ASSERT_TRUE(b.cache_samples(1e9));
  const auto idx = batch_indices(40, 13, 2);
  EXPECT_EQ(a.batch_mean(idx), b.batch_mean(idx));
  EXPECT_EQ(a.empirical(), b.empirical());
}

TEST(SamplePool, FluctuationFrobeniusNormIsKappaTimesPopulationVariance) {
  // E ||H_B - H_emp||_F^2 = kappa_B F exactly, F = (1/N) sum ||h_i - H_emp||_F^2 (Cochran Thm
  // 2.2). Over M subsets the mean is within 4 standard errors. The with-replacement factor
  // 1/B (= 0.1 vs kappa = 0.0816 here) would be off by > 20 % and must be rejected.
  for (auto curvature : {Curvature::hessian, Curvature::ggn}) {
    PoolSpec spec;
    spec.curvature = curvature;
    spec.P = 10;
    spec.N = 50;
    spec.spikes = {4.0};
    spec.s2 = 0.5;
    spec.C = 3;
    SamplePool pool(spec, 77);
    const std::int64_t B = 10;
    const double kappa = theory::kappa_factor(spec.N, B);
    std::vector<double> f2;
    for (std::uint64_t s = 0; s < 3000; ++s) {
      const auto idx = batch_indices(50, B, 1234, s);
      f2.push_back((pool.batch_mean(idx) - pool.empirical()).squaredNorm());
    }
    const auto sum = summarize(f2);
    const double F = pool.frobenius_variance();
    EXPECT_NEAR(sum.mean, kappa * F, 4 * sum.stderr_) << to_string(curvature);
    EXPECT_GT(std::abs(sum.mean - F / B), 4 * sum.stderr_) << "cannot tell kappa_B from 1/B";
  }
}

TEST(SamplePool, GgnSamplesArePsdWithRankAtMostC) {
  PoolSpec spec;
  spec.curvature = Curvature::ggn;
  spec.P = 20;
  spec.N = 10;
  spec.C = 3;
  spec.spikes = {5.0};
  SamplePool pool(spec, 3);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(pool.sample(2));
  const Eigen::VectorXd ev = es.eigenvalues();
  EXPECT_GT(ev.minCoeff(), -1e-12);
  int nonzero = 0;
  for (Eigen::Index i = 0; i < ev.size(); ++i) nonzero += ev(i) > 1e-10 * ev.maxCoeff();
  EXPECT_EQ(nonzero, 3);
  // Population mean is Sigma: the pool mean converges to it (entrywise within 5 sd).
  EXPECT_EQ(pool.population_mean()(0, 0), 5.0);
}

TEST(SamplePool, BadSpecsAreRefusedWithOneSentence) {
  PoolSpec spec;
  spec.P = 5;
  spec.N = 1;
  EXPECT_THROW({ SamplePool p(spec, 0); }, batchrmt::InvalidInput);
  spec.N = 10;
  spec.s2 = -1;
  EXPECT_THROW({ SamplePool p(spec, 0); }, batchrmt::InvalidInput);
  spec.s2 = 1;
  spec.profile = BlockProfile{{2, 2}, Eigen::MatrixXd::Ones(2, 2)};
  EXPECT_THROW({ SamplePool p(spec, 0); }, batchrmt::InvalidInput);  // sizes add to 4, not P = 5
}
