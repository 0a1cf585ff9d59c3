// The advise table's arithmetic (verify/learning_rate_advice.hpp; docs/theory.md §2.7, §2.8) on
// inputs whose every derived value is known by hand, its refusals, and the measured comparison.
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "theory/learning_rates.hpp"
#include "verify/learning_rate_advice.hpp"

namespace verify = batchrmt::verify;
namespace theory = batchrmt::theory;

namespace {

// lambda = 2, V_phi = 8 (se 0.8), |G|^2 = 4, tr(Sigma) = 400 (se 20); one B = 16 row with
// kappa = 1/4 and a measured top 3.2 +- 0.16 and d_B = 0.5.
verify::AdviceInputs hand_inputs() {
  verify::AdviceInputs in;
  in.N = 1000;
  in.P = 50;
  in.lambda = 2.0;
  in.v_phi = 8.0;
  in.v_phi_se = 0.8;
  in.gradient_norm2 = 4.0;
  in.trace_sigma = 400.0;
  in.trace_sigma_se = 20.0;
  in.momentum = 0.9;
  in.beta1 = 0.9;
  in.adam_eps = 1e-8;
  // B, kappa, top, top_se, subsets, d_B
  in.batches.push_back(verify::BatchTopInput{16, 0.25, 3.2, 0.16, 8, 0.5});
  return in;
}

}  // namespace

TEST(LearningRateAdvice, EveryColumnFollowsItsFormula) {
  const verify::Advice a = verify::advise_learning_rates(hand_inputs());
  const double eps = 1e-15;
  EXPECT_NEAR(a.b_crit_curvature, 2.0, eps);       // V_phi / lambda^2 = 8 / 4
  EXPECT_NEAR(a.b_crit_curvature_se, 0.2, eps);
  EXPECT_NEAR(a.b_simple, 100.0, 1e-13);           // tr(Sigma) / |G|^2 = 400 / 4
  EXPECT_NEAR(a.b_simple_se, 5.0, 1e-14);
  ASSERT_EQ(a.rows.size(), 1u);
  const auto& r = a.rows[0];
  EXPECT_NEAR(r.q, 0.5, eps);                      // kappa V / lambda^2 = 0.25 * 8 / 4
  EXPECT_NEAR(r.exponent, 1.0 / 3.0, eps);         // q / (1 + q)
  EXPECT_EQ(r.regime, theory::BatchNoiseRegime::crossover);
  EXPECT_NEAR(r.predicted_top, 3.0, eps);          // lambda + kappa V / lambda = 2 + 1
  EXPECT_NEAR(r.predicted_top_se, 0.1, eps);       // kappa se(V) / lambda
  EXPECT_NEAR(r.sgd_lr, 3.8 / 3.2, eps);           // 2 (1 + rho) / top
  EXPECT_NEAR(r.sgd_lr_ln_se, 0.05, eps);          // se(top) / top
  EXPECT_NEAR(r.sgd_lr_mean_square, 3.8 / 3.0, eps);
  EXPECT_NEAR(r.sgd_lr_mean_square_ln_se, 0.1 / 3.0, eps);
  EXPECT_NEAR(r.adam_lr, 3.8 / (0.1 * 0.5 * 3.2), 1e-12);  // 2 (1 + b1) / ((1 - b1) d_B top)
  EXPECT_NEAR(r.adam_lr_mean_square, 3.8 / (0.1 * 0.5 * 3.0), 1e-12);
  EXPECT_NEAR(r.b_over_b_simple, 0.16, eps);
  EXPECT_EQ(verify::gradient_regime(r.b_over_b_simple), "below");
}

TEST(LearningRateAdvice, RegimesSplitAtTheirStatedThresholds) {
  EXPECT_EQ(theory::batch_noise_regime(0.25), theory::BatchNoiseRegime::curvature_dominated);
  EXPECT_EQ(theory::batch_noise_regime(0.26), theory::BatchNoiseRegime::crossover);
  EXPECT_EQ(theory::batch_noise_regime(3.99), theory::BatchNoiseRegime::crossover);
  EXPECT_EQ(theory::batch_noise_regime(4.0), theory::BatchNoiseRegime::noise_dominated);
  EXPECT_STREQ(theory::to_string(theory::BatchNoiseRegime::noise_dominated), "noise-dominated");
  EXPECT_DOUBLE_EQ(theory::mean_square_exponent(4.0), 0.8);
  EXPECT_THROW(theory::batch_noise_regime(-1.0), batchrmt::InvalidInput);
  EXPECT_EQ(verify::gradient_regime(0.49), "below");
  EXPECT_EQ(verify::gradient_regime(1.0), "near");
  EXPECT_EQ(verify::gradient_regime(2.01), "above");
  EXPECT_EQ(verify::gradient_regime(std::nan("")), "unknown");
}

TEST(LearningRateAdvice, RefusesInputsOutsideTheirRange) {
  auto in = hand_inputs();
  in.lambda = 0.0;
  EXPECT_THROW(verify::advise_learning_rates(in), batchrmt::InvalidInput);
  in = hand_inputs();
  in.momentum = 1.0;
  EXPECT_THROW(verify::advise_learning_rates(in), batchrmt::InvalidInput);
  in = hand_inputs();
  in.gradient_norm2 = 0.0;  // a stationary point: B_simple is undefined, not infinite
  EXPECT_THROW(verify::advise_learning_rates(in), batchrmt::InvalidInput);
  in = hand_inputs();
  in.batches[0].adam_preconditioner = std::nan("");
  EXPECT_THROW(verify::advise_learning_rates(in), batchrmt::InvalidInput);
}

TEST(LearningRateAdvice, AMeasuredLimitIsComparedInLogSpace) {
  const verify::Advice a = verify::advise_learning_rates(hand_inputs());
  verify::FactorLimit l;
  l.factor = 2.0;
  l.lr_max = 2.0 * a.rows[0].sgd_lr;
  l.ln_se = 0.12;
  l.status = "bracketed";
  const auto m = verify::compare_limit(a.rows[0], batchrmt::networks::Optimizer::sgd, l);
  EXPECT_NEAR(m.ratio, 2.0, 1e-14);
  EXPECT_NEAR(m.z, std::log(2.0) / std::sqrt(0.12 * 0.12 + 0.05 * 0.05), 1e-12);
  EXPECT_NEAR(m.ratio_mean_square, l.lr_max / a.rows[0].sgd_lr_mean_square, 1e-14);
  const auto adam = verify::compare_limit(a.rows[0], batchrmt::networks::Optimizer::adam, l);
  EXPECT_NEAR(adam.predicted, a.rows[0].adam_lr, 0.0);
  l.lr_max = std::nan("");
  l.status = "0 of 2 seeds bracketed";
  EXPECT_TRUE(std::isnan(verify::compare_limit(a.rows[0], batchrmt::networks::Optimizer::sgd, l).z));
  EXPECT_THROW(verify::compare_limit(a.rows[0], batchrmt::networks::Optimizer::adamw, l), batchrmt::InvalidInput);
}
