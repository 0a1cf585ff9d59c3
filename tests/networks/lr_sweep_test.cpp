// Stability trials, the batch spectrum behind the predictions, and the spectrum-driven learner's
// loop (docs/learning-rates.md), on a small synthetic teacher-student set (seconds, one LibTorch thread).
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "networks/learner.hpp"
#include "networks/lr_sweep.hpp"
#include "networks/torch_runtime.hpp"
#include "tests/networks/synthetic_support.hpp"

namespace nw = batchrmt::networks;

namespace {

nw::DataSplits synthetic(std::size_t n = 512) { return batchrmt::testing::synthetic_splits(n, 256, {1, 6, 6}, 4, 3); }

nw::Model linear(const nw::DataSplits& d) { return nw::Model::create(batchrmt::testing::linear_spec(d, 1), "cpu"); }

}  // namespace

TEST(LrTrial, SmallRatesAreStableHugeRatesDivergeAndTrialsAreRepeatable) {
  nw::set_torch_threads(1);
  const auto d = synthetic();
  const nw::Model m = linear(d);
  const auto w0 = m.flat_parameters();
  nw::LrTrialOptions o;
  o.batch_size = 16;
  o.steps = 30;
  const nw::LrTrialRunner runner(m, d.train, d.test_transform, o);
  const auto a = runner.run(1e-3, 0);
  EXPECT_FALSE(a.diverged);
  EXPECT_EQ(a.steps, 30);
  EXPECT_GT(a.loss_start, 0.0);
  EXPECT_LE(a.loss_end, a.loss_start);  // a small step decreases the monitor loss
  const auto b = runner.run(1e4, 0);
  EXPECT_TRUE(b.diverged);
  EXPECT_FALSE(b.reason.empty());
  // The runner restores its start before every trial: the same (lr, seed) gives the same run.
  const auto c = runner.run(1e-3, 0);
  EXPECT_EQ(c.loss_end, a.loss_end);
  EXPECT_EQ(c.loss_start, a.loss_start);
  // Another seed draws other batches.
  EXPECT_NE(runner.run(1e-1, 1).loss_end, runner.run(1e-1, 0).loss_end);
  // The caller's model is untouched.
  EXPECT_EQ(m.flat_parameters(), w0);
  EXPECT_EQ(runner.trials_run(), 5);
}

TEST(LrTrial, AdamRunsWithWarmedMomentsAndOptionsAreChecked) {
  nw::set_torch_threads(1);
  const auto d = synthetic();
  const nw::Model m = linear(d);
  nw::LrTrialOptions o;
  o.optimizer = nw::Optimizer::adam;
  o.batch_size = 32;
  o.steps = 20;
  o.adam_warmup = 10;
  const nw::LrTrialRunner runner(m, d.train, d.test_transform, o);
  EXPECT_FALSE(runner.run(1e-4, 0).diverged);
  EXPECT_TRUE(runner.run(1e3, 0).diverged);
  nw::LrTrialOptions bad = o;
  bad.optimizer = nw::Optimizer::adamw;  // the sweep has sgd and adam only
  EXPECT_THROW(bad.validate(), batchrmt::InvalidInput);
  bad = o;
  bad.divergence_factor = 1.0;
  EXPECT_THROW(bad.validate(), batchrmt::InvalidInput);
  bad = o;
  bad.batch_size = 100000;
  EXPECT_THROW(nw::LrTrialRunner(m, d.train, d.test_transform, bad), batchrmt::InvalidInput);
}

TEST(LrSpectrum, FullBatchEqualsTheFullOperatorAndKappaIsTheFinitePopulationFactor) {
  nw::set_torch_threads(1);
  const auto d = synthetic(256);
  const nw::Model m = linear(d);
  nw::LrSpectrumOptions o;
  o.subsets = 2;
  o.lanczos_steps = 40;
  o.full_lanczos_steps = 40;
  o.preconditioned = true;
  o.eps = 1e-8;
  o.gradient_samples = 64;
  const auto s = nw::measure_lr_spectrum(m, d.train, d.test_transform, {8, 256}, o);
  ASSERT_EQ(s.rows.size(), 2u);
  EXPECT_EQ(s.N, 256);
  EXPECT_EQ(s.P, 37 * 4);
  // B = N: every subset is the whole set, so the operator is H_full (summed in another order);
  // the well-separated top eigenvalue converges within 40 steps from either start vector.
  EXPECT_NEAR(s.rows[1].top_mean, s.lambda_full, 1e-6 * s.lambda_full);
  EXPECT_NEAR(s.rows[1].overlap_mean, 1.0, 1e-6);
  EXPECT_EQ(s.rows[1].regime, "outlier");
  EXPECT_DOUBLE_EQ(s.rows[1].kappa, 0.0);
  EXPECT_DOUBLE_EQ(s.rows[0].kappa, nw::finite_population_kappa(256, 8));
  EXPECT_NEAR(s.rows[0].kappa, (256.0 - 8) / (8 * 255.0), 1e-15);
  // Smaller batches have larger top eigenvalues here (the shift of docs/theory.md 2.7).
  EXPECT_GT(s.rows[0].top_mean, s.rows[1].top_mean);
  // Preconditioned: with kappa = 0 the second moment is gbar^2 alone, so the noise fraction is 0.
  EXPECT_DOUBLE_EQ(s.rows[1].noise_fraction, 0.0);
  EXPECT_GT(s.rows[0].noise_fraction, 0.0);
  EXPECT_GT(s.rows[0].pre_top_mean, 0.0);
  EXPECT_EQ(nw::overlap_regime(0.05), "edge");
  EXPECT_EQ(nw::overlap_regime(0.3), "ambiguous");
}

TEST(Learner, SetsTheRuleRatesEveryUpdateAndStoresTheRitzValues) {
  nw::set_torch_threads(1);
  const auto d = synthetic();
  nw::Model m = linear(d);
  nw::LearnerOptions o;
  o.epochs = 3;
  o.batch_size = 64;
  o.curvature_every = 2;  // updates before epochs 0 and 2
  o.curvature_steps = 10;
  o.curvature_batch = 32;
  int calls = 0;
  const nw::LearnerRule rule = [&](const std::vector<double>& ritz, const std::vector<double>& w) {
    ++calls;
    EXPECT_EQ(ritz.size(), 10u);
    EXPECT_EQ(w.size(), 10u);
    nw::LearnerRates r;
    r.L = ritz.back();
    r.mu = ritz.front();
    r.lr = 0.5 / r.L;
    r.momentum = 0.1 * calls;
    return r;
  };
  const auto res = nw::train_with_learner(m, d, o, rule);
  EXPECT_EQ(res.status, nw::TrainStatus::complete);
  ASSERT_EQ(res.history.size(), 3u);
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(res.history[0].updated);
  EXPECT_FALSE(res.history[1].updated);
  EXPECT_TRUE(res.history[2].updated);
  EXPECT_DOUBLE_EQ(res.history[0].momentum, 0.1);
  EXPECT_DOUBLE_EQ(res.history[1].momentum, 0.1);  // kept until the next update
  EXPECT_DOUBLE_EQ(res.history[2].momentum, 0.2);
  EXPECT_DOUBLE_EQ(res.history[0].lr, 0.5 / res.history[0].L);
  EXPECT_EQ(res.curvature_indices.size(), 32u);
  EXPECT_TRUE(std::isfinite(res.history[2].test_accuracy));
  EXPECT_GT(res.history[2].test_accuracy, 0.4);  // 4 classes: chance is 0.25
}
