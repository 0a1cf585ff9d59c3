// The spectrum-driven learner's rule (verify/learner_rule.hpp; docs/theory.md §6.4): hand-computed
// rates, and the network learner applying them. Built with LibTorch only.
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "theory/spectrum_learner.hpp"
#include "verify/learner_rule.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "networks/torch_runtime.hpp"
#include "tests/networks/synthetic_support.hpp"

using namespace batchrmt;
using namespace batchrmt::verify;
namespace nw = batchrmt::networks;

TEST(LearnerRule, HandComputedSsgdmFromFixedRitzValuesAndWeights) {
  // Ritz values {-0.5, 0.01, 1, 4}, weights {0.1, 0.6, 0.2, 0.1}: L = 4; the minimum rule deletes
  // 0.01 (weight 0.6 > 0.5), mu = min{0.5, 1, 4} = 0.5; Polyak: lr = 4/(2 + sqrt 0.5)^2,
  // momentum ((2 - sqrt 0.5)/(2 + sqrt 0.5))^2.
  const auto rule = make_learner_rule("ssgdm", "minimum", "polyak");
  const auto r = rule({-0.5, 0.01, 1.0, 4.0}, {0.1, 0.6, 0.2, 0.1});
  const double s = std::sqrt(0.5);
  EXPECT_DOUBLE_EQ(r.L, 4.0);
  EXPECT_DOUBLE_EQ(r.mu, 0.5);
  EXPECT_EQ(r.deleted, 1);
  EXPECT_NEAR(r.lr, 4.0 / ((2 + s) * (2 + s)), 1e-15);
  EXPECT_NEAR(r.momentum, std::pow((2 - s) / (2 + s), 2), 1e-15);
  const auto code = make_learner_rule("ssgdm", "minimum", "code")({-0.5, 0.01, 1.0, 4.0}, {0.1, 0.6, 0.2, 0.1});
  EXPECT_NEAR(code.momentum, std::pow((2 - s) / (2 + 0.5), 2), 1e-15);  // the documented typo variant
  const auto ssgd = make_learner_rule("ssgd", "median", "polyak")({-0.5, 0.01, 1.0, 4.0}, {});
  EXPECT_NEAR(ssgd.lr, 2.0 / (4.0 + 0.75), 1e-15);  // median of {0.5, 0.01, 1, 4} = 0.75
  EXPECT_DOUBLE_EQ(ssgd.momentum, 0.0);
  EXPECT_THROW(make_learner_rule("ssgdm", "minimum", "other"), InvalidInput);
}

TEST(LearnerRule, TheNetworkLearnerAppliesTheTheoryRatesOfItsOwnRitzValues) {
  nw::set_torch_threads(1);
  const auto d = batchrmt::testing::synthetic_splits(256, 64, {1, 5, 5}, 3, 0);
  auto m = nw::Model::create(batchrmt::testing::linear_spec(d, 0), "cpu");
  nw::LearnerOptions lo;
  lo.epochs = 2;
  lo.batch_size = 32;
  const auto res = nw::train_with_learner(m, d, lo, make_learner_rule("ssgdm", "minimum", "polyak"));
  ASSERT_EQ(res.history.size(), 2u);
  for (const auto& e : res.history) {
    ASSERT_TRUE(e.updated);
    ASSERT_EQ(e.ritz.size(), 20u);
    const auto c = theory::spectrum_learner_rates(e.ritz, e.weights, theory::LearnerVariant::SSGDM,
                                                  theory::MuRule::Minimum);
    EXPECT_DOUBLE_EQ(e.lr, c.lr);
    EXPECT_DOUBLE_EQ(e.momentum, c.momentum);
    EXPECT_DOUBLE_EQ(e.L, c.L);
  }
}

#endif
