// The spectrum-driven learner's rules (docs/theory.md §6.4) on a hand-computed case.
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "theory/spectrum_learner.hpp"

using namespace batchrmt::theory;

TEST(SpectrumLearner, HandComputedMinimumAndMedianRules) {
  // Ritz values 0.01 (weight 0.7: the mass near zero), 1, 4, -9 (weights 0.1 each).
  // Minimum rule: delete 0.01 (weight 0.7 > 0.5), then mu = min(1, 4, 9) = 1; L = 9.
  const std::vector<double> ritz = {0.01, 1.0, 4.0, -9.0}, w = {0.7, 0.1, 0.1, 0.1};
  const auto m = spectrum_learner_rates(ritz, w, LearnerVariant::SSGDM, MuRule::Minimum);
  EXPECT_EQ(m.deleted, 1);
  EXPECT_DOUBLE_EQ(m.L, 9.0);
  EXPECT_DOUBLE_EQ(m.mu, 1.0);
  EXPECT_DOUBLE_EQ(m.lr, 4.0 / 16.0);              // 4/(3 + 1)^2
  EXPECT_DOUBLE_EQ(m.momentum, 0.25);              // ((3 - 1)/(3 + 1))^2
  const auto code = spectrum_learner_rates(ritz, w, LearnerVariant::SSGDM, MuRule::Minimum, MomentumFormula::Code);
  EXPECT_DOUBLE_EQ(code.momentum, std::pow(2.0 / 4.0, 2));  // (sqrt L - sqrt mu)/(sqrt L + mu) = 2/4 here too
  const auto n = spectrum_learner_rates(ritz, w, LearnerVariant::SSGDMN, MuRule::Minimum);
  EXPECT_DOUBLE_EQ(n.lr, 1.0 / 3.0);               // sqrt(mu/L)
  EXPECT_DOUBLE_EQ(n.momentum, 0.5);               // not squared
  // Median rule: |theta| = 0.01, 1, 4, 9 -> median 2.5; SSGD lr = 2/(9 + 2.5).
  const auto s = spectrum_learner_rates(ritz, {}, LearnerVariant::SSGD, MuRule::Median);
  EXPECT_DOUBLE_EQ(s.mu, 2.5);
  EXPECT_DOUBLE_EQ(s.lr, 2.0 / 11.5);
  EXPECT_DOUBLE_EQ(s.momentum, 0.0);
}

TEST(SpectrumLearner, CodeMomentumDiffersFromPolyakWhenMuIsNotOne) {
  const auto p = spectrum_learner_rates({4.0, 0.25}, {0.5, 0.5}, LearnerVariant::SSGDM, MuRule::Minimum);
  const auto c = spectrum_learner_rates({4.0, 0.25}, {0.5, 0.5}, LearnerVariant::SSGDM, MuRule::Minimum, MomentumFormula::Code);
  EXPECT_DOUBLE_EQ(p.momentum, std::pow(1.5 / 2.5, 2));
  EXPECT_DOUBLE_EQ(c.momentum, std::pow(1.5 / 2.25, 2));
}

TEST(SpectrumLearner, BadInputIsRefused) {
  EXPECT_THROW(spectrum_learner_rates({}, {}, LearnerVariant::SSGD, MuRule::Median), batchrmt::InvalidInput);
  EXPECT_THROW(spectrum_learner_rates({1.0}, {}, LearnerVariant::SSGD, MuRule::Minimum), batchrmt::InvalidInput);
  EXPECT_THROW(parse_learner_variant("adam"), batchrmt::InvalidInput);
}
