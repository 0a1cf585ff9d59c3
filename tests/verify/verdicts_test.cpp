// Verdict logic on constructed inputs and the claims at tiny sizes (the statistics under the
// verdicts: tests/core/statistics_test.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "core/config.hpp"
#include "core/errors.hpp"
#include "verify/claims.hpp"
#include "verify/network_claims.hpp"
#include "verify/registry.hpp"
#include "verify/statistics.hpp"

using namespace batchrmt;
using namespace batchrmt::verify;

TEST(ZTest, AgreesWithinToleranceDisagreesOutsideAndUsesTheBiasBudget) {
  auto t = z_test(1.0, 1.3, 0.1, 0.0);
  EXPECT_TRUE(t.passed);
  EXPECT_NEAR(t.z, 3.0, 1e-12);
  t = z_test(1.0, 1.5, 0.1, 0.0);
  EXPECT_FALSE(t.passed);
  EXPECT_NEAR(t.z, 5.0, 1e-12);
  t = z_test(1.0, 1.5, 0.1, 0.2);  // the budget absorbs 0.2 of the 0.5 difference
  EXPECT_TRUE(t.passed);
  EXPECT_NEAR(t.z, 5.0, 1e-12);  // the plain z, never reduced by the budget
  EXPECT_NEAR(t.z_excess, 3.0, 1e-12);
  t = z_test(1.0, 1.1, 0.1, 0.2);
  EXPECT_NEAR(t.z, 1.0, 1e-12);  // inside the budget: plain z still 1, not clamped to 0
  EXPECT_EQ(t.z_excess, 0.0);
  t = z_test(1.0, 0.5, 0.1, 0.0);
  EXPECT_NEAR(t.z, -5.0, 1e-12);
  EXPECT_THROW(z_test(1.0, 1.0, 0.0, 0.0), InvalidInput);
  EXPECT_EQ(to_string(Verdict::outside_regime), "outside its regime");
}

TEST(Claims, RunAtTinySizesWithNumbersBehindEveryVerdict) {
  const Config tiny = Config::parse(R"(
v1 = { n = 50, trials = 50 }
v3 = { n = 10000, trials = 200 }
c1 = { P = 30, N = 100, s2 = 0.1, batch_sizes = [1, 4, 16, 100], subsets = 20 }
c3 = { n = 120, trials = 30 }
c4 = { P = 40, N = 100, C = 5, batch_sizes = [2, 8, 32, 100], subsets = 8 }
[c2]
batch_sizes = [1, 2, 4, 8, 16, 32, 100]
subsets = 6
max_fit_batch_fraction = 0.2
outlier = { P = 40, N = 100 }
edge = { P = 40, N = 100 }
crossing = { P = 40, N = 100 }
)",
                                    "tiny");
  // The simulated claims and checks; C5-C8 train and measure networks and have their own
  // tests (tests/verify/learning_rate_claims_test.cpp, Claims.RealNetworkAtTinySize).
  for (const auto& e : experiments()) {
    if (e.id >= "C5" && e.id[0] == 'C') continue;
    const ClaimResult r = e.run(tiny, 3);
    EXPECT_EQ(r.id, e.id);
    EXPECT_FALSE(r.name.empty());
    EXPECT_FALSE(r.note.empty()) << e.id;
    if (r.verdict == Verdict::not_measured) {
      EXPECT_NE(r.note.find("too few"), std::string::npos) << e.id << ": " << r.note;
    } else {
      EXPECT_TRUE(std::isfinite(r.prediction)) << e.id;
      EXPECT_TRUE(std::isfinite(r.measurement)) << e.id;
      EXPECT_TRUE(std::isfinite(r.stderr_)) << e.id;
    }
  }
  // The pool claims see the effect even at this size: the extremes do grow.
  EXPECT_EQ(claim_extremes_grow(tiny, 3).verdict, Verdict::agrees);
}

TEST(Claims, AWrongPredictionIsCaught) {
  // C3 with the homogeneous law as "truth" would fail: the measured outlier sits far from it.
  const Config c = Config::parse("[c3]\nn = 300\ntrials = 150\n", "c3");
  const auto r = claim_field_dependence(c, 1);
  EXPECT_GT(std::abs(r.scalars.at("homogeneous_z")), 4.0);
  EXPECT_EQ(r.verdict, Verdict::agrees);
}

TEST(Registry, UnknownIdsAreRefusedWithTheList) {
  try {
    find_experiment("C9");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("C1"), std::string::npos);
  }
}

TEST(Claims, RealNetworkAtTinySize) {
  // C5 end to end on the linear model at initialisation (a few hundred Fashion-MNIST images);
  // without LibTorch it is "not measured" with the reason.
  const Config tiny = Config::parse(R"(
[c5]
cases = ["linear_init"]
train_subset = 256
test_subset = 100
batch_sizes = [8, 64, 0]
subsets = 3
lanczos_steps = 12
full_lanczos_steps = 16
noise_samples = 48
)",
                                    "tiny-c5");
  const ClaimResult r = claim_real_network(tiny, 1);
  EXPECT_EQ(r.id, "C5");
#ifdef BATCHRMT_WITH_TORCH
  ASSERT_NE(r.verdict, Verdict::not_measured) << r.note;
  EXPECT_GT(r.scalars.at("linear_init_lambda_full"), 0.0);
  EXPECT_GT(r.scalars.at("linear_init_v_phi"), 0.0);
  const auto& top = r.series.at("linear_init_top_mean");
  ASSERT_EQ(top.size(), 3u);
  EXPECT_GT(top[0], top[2] - 1e-9);  // B = 8 above the full-data top (within rounding)
#else
  EXPECT_EQ(r.verdict, Verdict::not_measured);
  EXPECT_NE(r.note.find("LibTorch"), std::string::npos);
#endif
}

TEST(JudgeAgainstNull, AgreesDisagreesAndInconclusive) {
  // Prediction 10, null 5 (no shift), se 1, budget 0: tolerance 4.
  auto j = judge_against_null(10.0, 5.0, 10.5, 1.0, 0.0);
  EXPECT_EQ(j.verdict, Verdict::agrees);  // |10.5 - 10| = 0.5 <= 4, |10.5 - 5| = 5.5 > 4
  EXPECT_DOUBLE_EQ(j.z, 0.5);
  EXPECT_DOUBLE_EQ(j.z_null, 5.5);
  j = judge_against_null(10.0, 5.0, 7.5, 1.0, 0.0);
  EXPECT_EQ(j.verdict, Verdict::inconclusive);  // 2.5 from both: the data cannot decide
  j = judge_against_null(10.0, 5.0, 4.0, 1.0, 0.0);
  EXPECT_EQ(j.verdict, Verdict::disagrees);  // 6 below the prediction, at the null
  EXPECT_DOUBLE_EQ(j.z, -6.0);
  j = judge_against_null(10.0, 5.0, 15.0, 1.0, 0.5);
  EXPECT_EQ(j.verdict, Verdict::disagrees);  // 5 > 4 + 0.5
  j = judge_against_null(10.0, 5.0, 14.4, 1.0, 0.5);
  EXPECT_EQ(j.verdict, Verdict::agrees);  // the budget widens the tolerance to 4.5
  EXPECT_NE(j.rule.find("null"), std::string::npos);
  EXPECT_EQ(to_string(Verdict::inconclusive), "inconclusive");
}

TEST(JudgeDirection, TheSignBeyondFourSeOrInconclusive) {
  EXPECT_EQ(judge_direction(4.0), Verdict::agrees);
  EXPECT_EQ(judge_direction(-4.5), Verdict::disagrees);
  EXPECT_EQ(judge_direction(3.9), Verdict::inconclusive);
  EXPECT_EQ(judge_direction(std::nan("")), Verdict::inconclusive);
  EXPECT_EQ(judge_direction(2.5, 2.0), Verdict::agrees);
}

TEST(CombineParts, OrderDisagreesInconclusiveAgreesOutside) {
  using V = Verdict;
  EXPECT_EQ(combine_parts({V::agrees, V::inconclusive, V::disagrees}), V::disagrees);
  EXPECT_EQ(combine_parts({V::agrees, V::inconclusive, V::outside_regime}), V::inconclusive);
  EXPECT_EQ(combine_parts({V::agrees, V::outside_regime}), V::agrees);
  EXPECT_EQ(combine_parts({V::outside_regime, V::not_measured}), V::outside_regime);
  EXPECT_EQ(combine_parts({V::not_measured}), V::not_measured);
  EXPECT_EQ(combine_parts({}), V::not_measured);
}
