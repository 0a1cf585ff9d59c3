// Batch Hessian model (docs/theory.md §1.2, §2.3 Theorem A, §2.6, §3.1, §3.3, §5.7) and the
// learning-rate rules of §2.7.
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "theory/batch_hessian.hpp"
#include "theory/learning_rates.hpp"

using namespace batchrmt::theory;

TEST(Kappa, FinitePopulationFactor) {
  EXPECT_DOUBLE_EQ(kappa_factor(100, 100), 0.0);  // B = N: no fluctuation
  EXPECT_DOUBLE_EQ(kappa_factor(100, 1), 1.0);    // B = 1
  EXPECT_DOUBLE_EQ(kappa_factor(101, 10), 91.0 / 1000.0);
  EXPECT_DOUBLE_EQ(kappa_factor(1, 1), 0.0);
  EXPECT_DOUBLE_EQ(kappa_factor_infinite(8), 0.125);
  EXPECT_THROW(kappa_factor(10, 11), batchrmt::InvalidInput);
  EXPECT_THROW(kappa_factor(10, 0), batchrmt::InvalidInput);
}

TEST(BatchHessian, Section31ExampleTable) {
  // docs/theory.md §3.1: lambda_1 = 5, P sigma^2 = 400, N = inf (B_noise = 16).
  const auto rows = batch_hessian_table({5.0}, 400.0, 1.0, 0, {1, 4, 16, 64, 256, 1024});
  const double top[] = {40, 20, 10, 6.25, 5.3125, 5.078125};
  const char* regime[] = {"edge", "edge", "threshold", "outlier", "outlier", "outlier"};
  const double lr[] = {0.05, 0.1, 0.2, 0.32, 0.37647058823529411, 0.39384615384615385};
  for (int i = 0; i < 6; ++i) {
    EXPECT_NEAR(rows[i].top, top[i], 1e-12) << rows[i].B;
    EXPECT_STREQ(to_string(rows[i].regime_top), regime[i]);
    EXPECT_NEAR(*rows[i].lr_max_sgd, lr[i], 1e-12);
    EXPECT_NEAR(rows[i].bottom, -rows[i].omega * 2.0, 1e-12);  // no negative spike: the lower edge
  }
  // the extrapolated first-order formula of the same table
  const double fo[] = {0.0235294117647, 0.08, 0.2, 0.32, 0.376470588235, 0.393846153846};
  const std::int64_t Bs[] = {1, 4, 16, 64, 256, 1024};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(sgd_rule(5.0, 400.0, 0, Bs[i]).lr_first_order, fo[i], 1e-12);
}

TEST(BatchHessian, BothSignsAndBoundaries) {
  const std::int64_t N = 50000;
  const auto rows = batch_hessian_table({30.0, -20.0}, 1e4, 1e-2, N, {1, 16, 256, N});
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_LT(rows[i].top, rows[i - 1].top);        // the top grows as B shrinks
    EXPECT_GT(rows[i].bottom, rows[i - 1].bottom);  // the bottom falls as B shrinks
  }
  // B = N: no shift
  EXPECT_DOUBLE_EQ(rows.back().top, 30.0);
  EXPECT_DOUBLE_EQ(rows.back().bottom, -20.0);
  EXPECT_DOUBLE_EQ(rows.back().kappa, 0.0);
  // B = 1: kappa = 1, omega^2 = P s2 = 100, both spikes above threshold (|lambda| > 10)
  EXPECT_NEAR(rows[0].top, 30.0 + 100.0 / 30.0, 1e-12);
  EXPECT_NEAR(rows[0].bottom, -20.0 - 100.0 / 20.0, 1e-12);
  EXPECT_NEAR(rows[0].top_sd, std::sqrt(2.0 * 1e-2 * (1.0 - 100.0 / 900.0)), 1e-15);
  EXPECT_THROW(batch_hessian_table({1.0}, 10, 1, 100, {101}), batchrmt::InvalidInput);
  EXPECT_THROW(batch_hessian_table({1.0}, 10, 1, 100, {0}), batchrmt::InvalidInput);
  EXPECT_THROW(batch_hessian_table({1.0}, 10, -1, 100, {10}), batchrmt::InvalidInput);
}

TEST(BatchHessian, Section33GgnExampleTable) {
  // docs/theory.md §3.3: ell = 40, sigma^2 = 1, P/C_eff = 12800 (P = 128000, C_eff = 10), N = inf.
  const auto rows = ggn_batch_table({40.0}, 1.0, 128000.0, 10.0, 0, {4, 16, 64, 256, 1024, 4096});
  const double gamma[] = {3200, 800, 200, 50, 12.5, 3.125};
  const double top[] = {3314.1, 860.5, 245.1, 91.28, 52.82, 43.21};
  const double lr[] = {0.000603, 0.00232, 0.00816, 0.0219, 0.0379, 0.0463};
  for (int i = 0; i < 6; ++i) {
    EXPECT_DOUBLE_EQ(rows[i].gamma, gamma[i]);
    EXPECT_NEAR(rows[i].top, top[i], 0.051 * (i == 3 || i == 4 || i == 5 ? 0.2 : 1.0)) << rows[i].B;  // table rounding
    EXPECT_NEAR(*rows[i].lr_max_sgd / lr[i], 1.0, 2e-3) << rows[i].B;  // 3 significant digits
    EXPECT_STREQ(to_string(rows[i].regime), i == 0 ? "edge" : "outlier");
    EXPECT_EQ(rows[i].bottom, 0.0);  // B C_eff < P: rank deficient
  }
}

TEST(BatchHessian, FirstAndSecondOrderShift) {
  EXPECT_DOUBLE_EQ(first_order_shift(5.0, 0.1, 20.0), 5.4);
  EXPECT_DOUBLE_EQ(second_order_shift(5.0, 0.1, 20.0, {}, {}), 5.4);
  EXPECT_NEAR(second_order_shift(5.0, 0.1, 20.0, {3.0}, {2.0}), 5.4 + 0.1 * 2.0 * (0.5 - 0.2), 1e-15);
  // homogeneous Wigner model: first order = Theorem A above threshold
  const auto r = batch_hessian_table({5.0}, 400.0, 1.0, 0, {64});
  EXPECT_NEAR(first_order_shift(5.0, 1.0 / 64, 400.0), r[0].top, 1e-14);
}

TEST(BatchHessian, ThresholdTopIsTheoremAWithTheMeasuredNoise) {
  // The docs/theory.md 3.1 table (lambda_1 = 5, P sigma^2 = 400, N = inf): omega_B^2 = kappa_B V_phi with
  // V_phi = P sigma^2 reproduces Theorem A on both sides of the threshold (B = 16).
  const std::vector<std::int64_t> Bs{1, 4, 16, 64, 256, 1024};
  const auto rows = batch_hessian_table({5.0}, 400.0, 1.0, 0, Bs);
  for (std::size_t i = 0; i < Bs.size(); ++i)
    EXPECT_NEAR(threshold_top(5.0, 1.0 / static_cast<double>(Bs[i]), 400.0), rows[i].top, 1e-12) << Bs[i];
  // Below the threshold it is the first-order form; above, smaller (40 < 5 + 400/5 = 85 at B = 1).
  EXPECT_DOUBLE_EQ(threshold_top(5.0, 1.0 / 64, 400.0), first_order_shift(5.0, 1.0 / 64, 400.0));
  EXPECT_DOUBLE_EQ(threshold_top(5.0, 1.0, 400.0), 40.0);
  EXPECT_DOUBLE_EQ(threshold_top(-5.0, 1.0, 400.0), -40.0);  // the bottom mirrors the top
}

TEST(LearningRates, SgdRegimes) {
  // §3.1: below threshold the exact rule scales like sqrt(B), not B
  const auto e = sgd_rule(5.0, 400.0, 0, 1);
  EXPECT_EQ(e.regime, "edge");
  EXPECT_EQ(e.first_order_regime, "linear");
  EXPECT_NEAR(e.exponent, 0.5, 1e-6);
  const auto s = sgd_rule(5.0, 400.0, 0, 4096);
  EXPECT_EQ(s.regime, "saturating");
  EXPECT_LT(s.exponent, 0.01);
  EXPECT_EQ(sgd_rule(5.0, 400.0, 0, 16).regime, "threshold");
  EXPECT_EQ(sgd_rule(5.0, 400.0, 0, 32).regime, "crossover");
  EXPECT_NEAR(sgd_rule(5.0, 400.0, 0, 64, 0.9).lr_max, 1.9 * 0.32, 1e-14);
  EXPECT_DOUBLE_EQ(noise_batch_size(5.0, 400.0), 16.0);
  EXPECT_DOUBLE_EQ(heavy_ball_max_lr(10.0, 0.5), 0.3);
  EXPECT_DOUBLE_EQ(ema_momentum_max_lr(10.0, 0.5), 0.6);
  EXPECT_THROW(sgd_rule(5.0, 400.0, 100, 101), batchrmt::InvalidInput);
}

TEST(LearningRates, AdamRegimes) {
  // noise-dominated second moment, small damping, shift-dominated top: square-root rule
  const auto a = adam_rule(1.0, 1e6, 0, 64, 1e-8, 1.0, 0.0);
  EXPECT_EQ(a.regime, "noise-dominated");
  // lambda' = 2 omega = 2 sqrt(1e6/64) = 250 (edge); lr = 2 sqrt(1/64)/250: exponent 0
  EXPECT_NEAR(a.lr_max, 2.0 * (0.125 + 1e-8) / 250.0, 1e-15);
  EXPECT_EQ(a.scaling, "saturating");
  // outlier regime, shift dominated (lambda1 >> omega but kappa P s2/lambda1 >> lambda1 impossible
  // above threshold): check the documented limit lr ≈ 2 s_g sqrt(kappa)/lambda'_1 instead
  const auto b = adam_rule(100.0, 1e3, 0, 10, 0.0, 2.0, 0.0);
  EXPECT_NEAR(b.lr_max, 2.0 * 2.0 * std::sqrt(0.1) / (100.0 + 1e2 / 100.0), 1e-14);
  EXPECT_EQ(b.scaling, "saturating");  // ∝ sqrt(kappa): falls with B
  EXPECT_LT(b.exponent, -0.4);
  // large damping: SGD-like, lr = 2 delta/lambda'
  const auto c = adam_rule(5.0, 400.0, 0, 64, 10.0, 1e-3, 0.0);
  EXPECT_EQ(c.regime, "damping-dominated");
  EXPECT_NEAR(c.lr_max, 2.0 * (10.0 + 1e-3 / 8.0) / 6.25, 1e-12);
}

TEST(LearningRates, DampingAndHeavyBall) {
  const auto d = minimal_damping(0.1, 5.0, 400.0, 0, 1);
  EXPECT_DOUBLE_EQ(d.delta_min, 0.1 * 40.0 / 2.0);
  EXPECT_EQ(d.regime, "edge");
  EXPECT_NEAR(d.exponent, -0.5, 1e-6);
  const auto h = heavy_ball_optimal(100.0, 1.0);
  EXPECT_DOUBLE_EQ(h.gd_lr, 2.0 / 101.0);
  EXPECT_DOUBLE_EQ(h.lr, 4.0 / 121.0);
  EXPECT_DOUBLE_EQ(h.momentum, (9.0 / 11.0) * (9.0 / 11.0));
  EXPECT_DOUBLE_EQ(h.rate, 9.0 / 11.0);
  EXPECT_DOUBLE_EQ(h.condition, 100.0);
  const auto c = heavy_ball_optimal(100.0, 4.0, MomentumFormula::Code);
  EXPECT_DOUBLE_EQ(c.momentum, (8.0 / 14.0) * (8.0 / 14.0));
  EXPECT_EQ(c.momentum_formula, "code");
  EXPECT_THROW(heavy_ball_optimal(1.0, 2.0), batchrmt::InvalidInput);
  EXPECT_THROW(heavy_ball_optimal(1.0, 0.0), batchrmt::InvalidInput);
}
