// Sample statistics (core/statistics.hpp): exact small cases and the NaN and edge rules.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/errors.hpp"
#include "core/statistics.hpp"

using namespace batchrmt;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

TEST(Summaries, MeanSdAndStandardError) {
  const auto s = summarize({1, 2, 3, 4});
  EXPECT_EQ(s.count, 4u);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_DOUBLE_EQ(s.sd, std::sqrt(5.0 / 3.0));  // divisor n - 1
  EXPECT_DOUBLE_EQ(s.stderr_, std::sqrt(5.0 / 12.0));
  const double x[] = {2.0, 4.0};
  const auto p = summarize(x, 2);
  EXPECT_DOUBLE_EQ(p.mean, 3.0);
  EXPECT_DOUBLE_EQ(p.sd, std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(p.stderr_, 1.0);
}

TEST(Summaries, FinitePopulationCorrection) {
  const std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(summarize(v, 8).stderr_, std::sqrt(5.0 / 24.0));  // (1 - 4/8) = 1/2
  EXPECT_DOUBLE_EQ(summarize(v, 8).sd, std::sqrt(5.0 / 3.0));         // sd has no correction
  EXPECT_EQ(summarize(v, 4).stderr_, 0.0);                            // the whole population
  EXPECT_EQ(summarize(v, 2).stderr_, 0.0);                            // more than the population: clamped
  EXPECT_DOUBLE_EQ(summarize(v, 0).stderr_, summarize(v).stderr_);   // 0: i.i.d., no correction
}

TEST(Summaries, NanRules) {
  const auto none = summarize(std::vector<double>{});
  EXPECT_EQ(none.count, 0u);
  EXPECT_TRUE(std::isnan(none.mean));
  EXPECT_TRUE(std::isnan(none.sd));
  EXPECT_TRUE(std::isnan(none.stderr_));
  const auto one = summarize({7.0});
  EXPECT_EQ(one.mean, 7.0);
  EXPECT_TRUE(std::isnan(one.sd));
  EXPECT_TRUE(std::isnan(one.stderr_));
  const auto constant = summarize({3.0, 3.0, 3.0});
  EXPECT_EQ(constant.sd, 0.0);
  EXPECT_EQ(constant.stderr_, 0.0);
  const auto with_nan = summarize({1.0, kNaN, 3.0});  // a NaN value propagates to every statistic
  EXPECT_TRUE(std::isnan(with_nan.mean));
  EXPECT_TRUE(std::isnan(with_nan.stderr_));
}

TEST(ZScore, SignedUnclampedAndNanWithoutAStandardError) {
  EXPECT_DOUBLE_EQ(z_score(2.0, 1.5, 0.25), -2.0);
  EXPECT_DOUBLE_EQ(z_score(2.0, 3.0, 0.25), 4.0);
  EXPECT_DOUBLE_EQ(z_score(2.0, 2.0, 0.25), 0.0);
  EXPECT_TRUE(std::isnan(z_score(2.0, 1.5, 0.0)));
  EXPECT_TRUE(std::isnan(z_score(2.0, 1.5, -1.0)));
  EXPECT_TRUE(std::isnan(z_score(kNaN, 1.5, 0.1)));
  EXPECT_TRUE(std::isnan(z_score(2.0, INFINITY, 0.1)));
  EXPECT_TRUE(std::isnan(z_score(2.0, 1.5, kNaN)));
}

TEST(Fits, RecoverExactLinesAndInflateErrorsForScatter) {
  std::vector<double> x = {1, 2, 3, 4, 5}, y, se(5, 0.1);
  for (double v : x) y.push_back(2.0 + 0.5 * v);
  const auto f = fit_line(x, y, se);
  EXPECT_EQ(f.points, 5u);
  EXPECT_NEAR(f.slope, 0.5, 1e-12);
  EXPECT_NEAR(f.intercept, 2.0, 1e-12);
  EXPECT_NEAR(f.slope_se, 0.1 / std::sqrt(10.0), 1e-12);  // sqrt(S/Delta) for unit spacing
  const auto o = fit_through_origin(x, std::vector<double>{2, 4, 6, 8, 10}, se);
  EXPECT_NEAR(o.slope, 2.0, 1e-12);
  EXPECT_NEAR(o.slope_se, 0.1 / std::sqrt(55.0), 1e-15);  // 1 / sqrt(sum x^2 / se^2)
  EXPECT_EQ(o.intercept, 0.0);
  std::vector<double> noisy = {2.5, 3.5, 3.0, 4.5, 4.0};  // scatter >> 0.1
  EXPECT_GT(fit_line(x, noisy, se).slope_se, 0.1 / std::sqrt(10.0));
}

TEST(Fits, TwoPointsAreNotInflatedAndOneXIsNoLine) {
  const auto two = fit_line({0.0, 1.0}, {0.0, 5.0}, {1.0, 1.0});
  EXPECT_DOUBLE_EQ(two.slope, 5.0);
  EXPECT_DOUBLE_EQ(two.slope_se, std::sqrt(2.0));  // S = 2, Delta = 1
  const auto same_x = fit_line({1.0, 1.0}, {0.0, 5.0}, {1.0, 1.0});  // Delta = 0
  EXPECT_FALSE(std::isfinite(same_x.slope));
  EXPECT_FALSE(std::isfinite(same_x.slope_se));
}

TEST(KolmogorovSmirnov, TailAndTwoSample) {
  // Q(1.36) = 0.0494 (the familiar 5 % critical value), Q(1.63) = 0.0098.
  EXPECT_NEAR(kolmogorov_tail(1.36), 0.0494, 5e-4);
  EXPECT_NEAR(kolmogorov_tail(1.63), 0.0098, 2e-4);
  EXPECT_EQ(kolmogorov_tail(0.1), 1.0);
  std::vector<double> a, b;
  for (int i = 0; i < 200; ++i) {
    a.push_back(i);
    b.push_back(i + 100);
  }
  const auto r = ks_two_sample(a, b);
  EXPECT_NEAR(r.statistic, 0.5, 1e-12);
  EXPECT_LT(r.p_value, 1e-10);
  EXPECT_GT(ks_two_sample(a, a).p_value, 0.99);
  EXPECT_THROW(ks_two_sample({}, a), InvalidInput);
}
