// The C6/C7 judgement (verify/lr_claim_parts.hpp) on constructed batch sizes whose verdicts are
// known: exact limits on a grid, predictions with known errors, regimes reached or not.
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "verify/lr_claim_parts.hpp"

using namespace batchrmt::verify;

namespace {
// A bracketed limit at factor f with the given lr_max and se of its log.
FactorLimit limit(double f, double lr, double ln_se) {
  FactorLimit l;
  l.factor = f;
  l.lr_max = lr;
  l.ln_se = ln_se;
  l.lr_lo = lr / 1.2;
  l.lr_hi = lr * 1.2;
  l.seeds = l.bracketed = 3;
  l.status = "bracketed";
  return l;
}

// Batch sizes 1..64 on a law lr = c B^slope (measured), predictions from `pred_slope`, q_B = q1 / B.
std::vector<LrPoint> points(double slope, double pred_slope, double q1, double factor_shift = 0.0) {
  std::vector<LrPoint> pts;
  for (std::int64_t B : {1, 2, 4, 8, 16, 32, 64}) {
    LrPoint p;
    p.B = B;
    p.q = q1 / static_cast<double>(B);
    p.kappa = 1.0 / static_cast<double>(B);
    p.top_ratio = 1.0 + p.q;
    p.predicted = 0.01 * std::pow(static_cast<double>(B), pred_slope);
    p.predicted_ln_se = 0.01;
    p.mean_square = p.predicted;
    p.null_value = 1.0;  // far above: every B has power
    const double lr = 0.01 * std::pow(static_cast<double>(B), slope);
    // factor 1.5 / 2 / 4: the same law, optionally shifted with B (a factor-dependent slope)
    p.limits = {limit(1.5, lr * std::pow(static_cast<double>(B), -factor_shift), 0.05), limit(2.0, lr, 0.05),
                limit(4.0, lr * std::pow(static_cast<double>(B), factor_shift), 0.05)};
    pts.push_back(p);
  }
  return pts;
}
}  // namespace

TEST(LrClaimParts, ExactLinearLawAgreesPerBAndInScaling) {
  LrJudgeOptions o;  // claim 1, null 1/2, q >= 4
  const auto j = judge_learning_rates(points(1.0, 1.0, 32.0), o);
  EXPECT_EQ(j.per_b, Verdict::agrees);
  EXPECT_EQ(j.scaling, Verdict::agrees);
  EXPECT_NEAR(j.asym_slopes[1].slope, 1.0, 1e-12);
  EXPECT_EQ(j.asym_slopes[1].points, 4u);  // q_B = 32/B >= 4 for B <= 8
  EXPECT_NEAR(j.scaling_z, 0.0, 1e-9);
  EXPECT_NEAR(j.predicted_nd_slope.slope, 1.0, 1e-12);
}

TEST(LrClaimParts, SquareRootLawDisagreesWithTheLinearClaim) {
  LrJudgeOptions o;
  const auto j = judge_learning_rates(points(0.5, 1.0, 32.0), o);
  EXPECT_EQ(j.scaling, Verdict::disagrees);
  EXPECT_NEAR(j.asym_slopes[1].slope, 0.5, 1e-12);
  EXPECT_LT(j.scaling_z, -4.0);  // raw, signed
  EXPECT_EQ(j.per_b, Verdict::disagrees);  // measured far below the predictions at small B
}

TEST(LrClaimParts, FewerThanTwoAsymptoticBatchSizesIsOutsideItsRegimeWithTheLargestQ) {
  LrJudgeOptions o;
  const auto j = judge_learning_rates(points(1.0, 1.0, 6.0), o);  // only B = 1 has q >= 4
  EXPECT_EQ(j.scaling, Verdict::outside_regime);
  EXPECT_DOUBLE_EQ(j.largest_q, 6.0);
  EXPECT_NE(j.scaling_note.find("largest q_B 6"), std::string::npos);
}

TEST(LrClaimParts, AFactorDependentSlopeIsInconclusive) {
  LrJudgeOptions o;
  const auto j = judge_learning_rates(points(1.0, 1.0, 32.0, 0.3), o);  // factor 4 gives slope 1.3
  EXPECT_EQ(j.scaling, Verdict::inconclusive);
  EXPECT_NE(j.scaling_note.find("depends on the divergence factor"), std::string::npos);
}

TEST(LrClaimParts, WithoutPowerABatchSizeCanDisagreeButNeverAgree) {
  LrJudgeOptions o;
  auto pts = points(1.0, 1.0, 32.0);
  for (auto& p : pts) p.null_value = p.predicted * 1.01;  // prediction 1 % from the null: no power
  auto j = judge_learning_rates(pts, o);
  EXPECT_EQ(j.per_b, Verdict::inconclusive);
  for (const auto& row : j.rows) EXPECT_EQ(row.verdict, Verdict::not_measured);  // reported
  pts[0].limits[1].lr_max *= 10;  // far from both
  j = judge_learning_rates(pts, o);
  EXPECT_EQ(j.per_b, Verdict::disagrees);
  EXPECT_EQ(j.rows[0].verdict, Verdict::disagrees);
}

TEST(LrClaimParts, AdamRegimeConditionsRemoveBatchSizes) {
  LrJudgeOptions o;
  o.claim_slope = 0.5;
  o.null_slope = 1.0;
  auto pts = points(0.5, 0.5, 32.0);
  auto j = judge_learning_rates(pts, o);
  EXPECT_EQ(j.scaling, Verdict::agrees);
  for (auto& p : pts) {
    p.regime_ok = false;
    p.regime_note = "B=" + std::to_string(p.B) + ": second moment not noise-dominated";
  }
  j = judge_learning_rates(pts, o);
  EXPECT_EQ(j.scaling, Verdict::outside_regime);
  EXPECT_NE(j.scaling_note.find("not noise-dominated"), std::string::npos);
}

TEST(LrClaimParts, TheReferenceFactorMustBeMeasured) {
  LrJudgeOptions o;
  o.reference_factor = 3.0;
  EXPECT_THROW(judge_learning_rates(points(1.0, 1.0, 32.0), o), batchrmt::InvalidInput);
}

TEST(LrClaimParts, AFactorWithoutBracketedLimitsIsNamedNotCountedAsDependence) {
  LrJudgeOptions o;
  auto pts = points(1.0, 1.0, 32.0);
  for (auto& p : pts) {
    p.limits[2].lr_max = NAN;  // factor 4: stable at every rate tried
    p.limits[2].status = "0 of 3 seeds bracketed, 3 stable at every rate tried";
  }
  const auto j = judge_learning_rates(pts, o);
  EXPECT_EQ(j.scaling, Verdict::agrees);
  EXPECT_NE(j.scaling_note.find("no slope for factor 4"), std::string::npos);
}
