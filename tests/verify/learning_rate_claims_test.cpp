// Claims C6, C7 and C8 (verify/learning_rate_claims.hpp; docs/learning-rates.md): not measured
// without LibTorch, and end to end at tiny size with the numbers behind every verdict.
#include <gtest/gtest.h>

#include <string>

#include "core/config.hpp"
#include "core/errors.hpp"
#include "verify/learning_rate_claims.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "verify/lr_claim_start.hpp"
#endif

using namespace batchrmt;
using namespace batchrmt::verify;

#ifndef BATCHRMT_WITH_TORCH
TEST(LearningRateClaims, AreReportedNotMeasuredWithoutLibTorch) {
  const auto c = Config::parse("[c6]\nsteps = 5\n", "test");
  for (const auto& r : {claim_sgd_scaling(c, 0), claim_adam_scaling(c, 0), claim_spectrum_learner(c, 0)}) {
    EXPECT_EQ(r.verdict, Verdict::not_measured);
    EXPECT_NE(r.note.find("LibTorch"), std::string::npos);
  }
}
#else
TEST(LearningRateClaims, RunAtTinySizeWithNumbersBehindTheVerdicts) {
  // The three claims end to end on a few hundred Fashion-MNIST images: C6 and C7 start from the
  // C5 case (trained once, shared), every verdict is one of the five with its note, and the grid
  // stores lr_max per divergence factor.
  const std::string trial_grid = "batch_sizes = [2, 8, 64]\nsteps = 8\nseeds = 2\nmonitor_size = 64\nmonitor_every = 4\n";
  const auto c = Config::parse(R"(
[c5]
cases = ["lenet_trained"]
train_subset = 256
test_subset = 64
batch_sizes = [2, 8, 64, 0]
subsets = 2
lanczos_steps = 8
full_lanczos_steps = 10
noise_samples = 32
[c5.lenet_trained]
model = "linear"
epochs = 1
lr = 0.05
batch_size = 64
[c6]
)" + trial_grid + "[c7]\n" + trial_grid + R"(
subsets = 2
lanczos_steps = 8
adam_warmup = 4
gradient_samples = 32
large_damping = false
[c8]
model = "linear"
train_subset = 256
test_subset = 100
validation = 64
epochs = 1
batch_size = 64
seeds = 2
baseline_lrs = [0.01, 0.1]
curvature_steps = 6
curvature_batch = 16
)",
                                "tiny");
  for (const auto& r : {claim_sgd_scaling(c, 0), claim_adam_scaling(c, 0), claim_spectrum_learner(c, 0)}) {
    EXPECT_FALSE(r.note.empty()) << r.id;
    EXPECT_NE(r.verdict, Verdict::not_measured) << r.id << ": " << r.note;
  }
  const auto c6 = claim_sgd_scaling(c, 0);  // the start case comes from this process's cache
  ASSERT_TRUE(c6.series.count("lr_max_f2"));
  EXPECT_EQ(c6.series.at("lr_max_f2").size(), 3u);
  EXPECT_TRUE(c6.series.count("lr_max_f1.5") && c6.series.count("lr_max_f4"));
  EXPECT_FALSE(c6.series.at("trial_loss_max_ratio").empty());
  EXPECT_FALSE(c6.labels.at("part_a_verdict").empty());
}

TEST(LrClaimOptions, ReadOnceWithTheDocumentedDefaultsAndRefusals) {
  const auto o = LrClaimOptions::from(Config::parse("[c7]\nseeds = 3\n", "t"), "c7");
  EXPECT_EQ(o.start, "lenet_trained");
  EXPECT_EQ(o.batch_sizes, (std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 64, 128}));
  EXPECT_EQ(o.sweep.seeds, 3);
  EXPECT_EQ(o.sweep.trial.steps, 50);
  EXPECT_EQ(o.sweep.points, 9);
  EXPECT_EQ(o.sweep.factors, (std::vector<double>{1.5, 2.0, 4.0}));
  const auto j = judge_options(o, 0.5, 1.0);
  EXPECT_EQ(j.reference_factor, 2.0);
  EXPECT_EQ(j.claim_slope, 0.5);
  EXPECT_GT(j.ln_budget, 0.0);
  auto refusal = [](const std::string& table) {
    try {
      LrClaimOptions::from(Config::parse(table, "t"), "c6");
    } catch (const InvalidInput& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refusal("[c6]\ngrid_ratio = 1.0\n").find("c6.grid_ratio is 1"), std::string::npos);
  EXPECT_NE(refusal("[c6]\nseeds = 0\n").find("c6.seeds is 0"), std::string::npos);
  EXPECT_NE(refusal("[c6]\ngrid_points = 5\n").find("c6.grid_points 5"), std::string::npos);
}
#endif
