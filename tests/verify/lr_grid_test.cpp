// The fixed-grid learning-rate limit for several divergence factors from stored loss ratios
// (verify/lr_grid.hpp), on constructed trials whose answers are known exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "verify/lr_grid.hpp"

using namespace batchrmt;
using namespace batchrmt::verify;

namespace {
// Trials of one seed on `grid` with the given loss_max_ratio per rate.
void add(std::vector<GridTrial>& t, const std::vector<double>& grid, std::uint64_t seed, const std::vector<double>& ratios) {
  for (std::size_t k = 0; k < ratios.size(); ++k) t.push_back({grid[k], seed, ratios[k], 50});
}
}  // namespace

TEST(LogGrid, GeometricAroundTheCenter) {
  const auto g = log_grid(0.1, 2.0, 5);
  ASSERT_EQ(g.size(), 5u);
  EXPECT_NEAR(g[0], 0.025, 1e-15);
  EXPECT_NEAR(g[2], 0.1, 1e-15);
  EXPECT_NEAR(g[4], 0.4, 1e-15);
  EXPECT_THROW(log_grid(0.1, 1.0, 5), InvalidInput);
  EXPECT_THROW(log_grid(-1, 2.0, 5), InvalidInput);
}

TEST(LimitForFactor, EachFactorFromTheSameStoredRatios) {
  const auto g = log_grid(1.0, 2.0, 5);  // 0.25 0.5 1 2 4
  std::vector<GridTrial> t;
  const double inf = std::numeric_limits<double>::infinity();
  add(t, g, 0, {1.0, 1.2, 1.8, 3.0, inf});
  add(t, g, 1, {1.0, 1.6, 2.5, 5.0});  // stopped at the first rate beyond the largest factor
  // factor 1.5: seed 0 first unstable at 1 (ratio 1.8; lo 0.5), seed 1 at 0.5 (ratio 1.6; lo 0.25)
  auto f = limit_for_factor(t, g, 1.5);
  EXPECT_EQ(f.status, "bracketed");
  EXPECT_EQ(f.bracketed, 2);
  EXPECT_NEAR(f.per_seed[0], std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(f.per_seed[1], std::sqrt(0.125), 1e-12);
  EXPECT_NEAR(f.lr_max, 0.5, 1e-12);  // geometric mean of sqrt(0.5) and sqrt(0.125)
  EXPECT_DOUBLE_EQ(f.lr_lo, 0.25);
  EXPECT_DOUBLE_EQ(f.lr_hi, 1.0);
  // se: seed spread of ln lr_max_s (they differ by ln 2, so var = (ln 2)^2 / 2, over n = 2) plus rounding.
  const double w = std::log(2.0);
  EXPECT_NEAR(f.ln_se, std::sqrt(w * w / 4.0 + w * w / 12.0), 1e-12);
  // factor 2: seed 0 at 2 (lo 1), seed 1 at 1 (lo 0.5)
  f = limit_for_factor(t, g, 2.0);
  EXPECT_NEAR(f.per_seed[0], std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(f.per_seed[1], std::sqrt(0.5), 1e-12);
  // factor 4: seed 0 at 4 (lo 2), seed 1 at 2 (lo 1)
  f = limit_for_factor(t, g, 4.0);
  EXPECT_NEAR(f.per_seed[0], std::sqrt(8.0), 1e-12);
  EXPECT_NEAR(f.per_seed[1], std::sqrt(2.0), 1e-12);
}

TEST(LimitForFactor, OneSeedLeavesOnlyTheRoundingAndEdgesAreReported) {
  const auto g = log_grid(1.0, 2.0, 3);  // 0.5 1 2
  std::vector<GridTrial> t;
  add(t, g, 7, {1.0, 3.0});
  auto f = limit_for_factor(t, g, 2.0);
  EXPECT_NEAR(f.lr_max, std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(f.ln_se, std::log(2.0) / std::sqrt(12.0), 1e-12);
  // unstable at the smallest rate: below the grid, not bracketed
  t.clear();
  add(t, g, 7, {3.0});
  f = limit_for_factor(t, g, 2.0);
  EXPECT_EQ(f.bracketed, 0);
  EXPECT_TRUE(std::isnan(f.lr_max));
  EXPECT_NE(f.status.find("smallest"), std::string::npos);
  // stable everywhere tried: above the grid
  t.clear();
  add(t, g, 7, {1.0, 1.0, 1.1});
  f = limit_for_factor(t, g, 2.0);
  EXPECT_EQ(f.bracketed, 0);
  EXPECT_NE(f.status.find("stable at every rate"), std::string::npos);
  // a rate that is not on the grid is an error, not a silent rounding
  t = {{0.7, 1, 1.0, 50}};
  EXPECT_THROW(limit_for_factor(t, g, 2.0), InvalidInput);
}

TEST(FiniteStepBudget, MatchesTheQuadraticGrowthArgument) {
  // (1 + (2/1e-6)^(1/100)) / 2 = (1 + e^{ln(2e6)/100}) / 2
  const double c = 0.5 * (1.0 + std::exp(std::log(2e6) / 100.0));
  EXPECT_NEAR(finite_step_budget(2.0, 50, 1e-6), std::log(c), 1e-14);
  EXPECT_LT(finite_step_budget(2.0, 200, 1e-6), finite_step_budget(2.0, 50, 1e-6));  // more steps, tighter
  EXPECT_GT(finite_step_budget(4.0, 50, 1e-6), finite_step_budget(2.0, 50, 1e-6));
}
