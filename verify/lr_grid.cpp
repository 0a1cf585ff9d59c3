#include "verify/lr_grid.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

std::vector<double> log_grid(double center, double ratio, int count) {
  check_positive("log_grid", "center", center);
  check_positive("log_grid", "ratio - 1", ratio - 1.0);
  check_at_least("log_grid", "count", count, 2);
  std::vector<double> g;
  for (int k = 0; k < count; ++k) g.push_back(center * std::pow(ratio, k - 0.5 * (count - 1)));
  return g;
}

FactorLimit limit_for_factor(const std::vector<GridTrial>& trials, const std::vector<double>& grid, double factor) {
  check_positive("limit_for_factor", "factor - 1", factor - 1.0);
  if (grid.size() < 2) throw InvalidInput("limit_for_factor: the grid needs at least two rates.");
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // seed -> grid index -> stable?
  std::map<std::uint64_t, std::map<std::size_t, bool>> by_seed;
  for (const auto& t : trials) {
    std::size_t k = 0;
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < grid.size(); ++i)
      if (std::abs(std::log(t.lr / grid[i])) < best) best = std::abs(std::log(t.lr / grid[i])), k = i;
    if (best > 1e-9) throw InvalidInput("limit_for_factor: a trial's lr " + format_number(t.lr, 10) + " is not a rate of the grid.");
    by_seed[t.seed][k] = std::isfinite(t.loss_max_ratio) && t.loss_max_ratio < factor;
  }
  FactorLimit f;
  f.factor = factor;
  f.lr_lo = std::numeric_limits<double>::infinity();
  f.lr_hi = 0;
  int below = 0, above = 0;
  std::vector<double> logs;
  for (const auto& [seed, stable] : by_seed) {
    ++f.seeds;
    // Walk up the grid over the tried rates: the first unstable one ends the stable run.
    std::size_t first_unstable = grid.size();
    for (const auto& [k, ok] : stable)
      if (!ok) {
        first_unstable = k;
        break;
      }
    if (first_unstable == grid.size()) {
      ++above;
      f.per_seed.push_back(kNaN);
      continue;
    }
    if (first_unstable == 0 || !stable.count(first_unstable - 1)) {
      ++below;
      f.per_seed.push_back(kNaN);
      continue;
    }
    const double lo = grid[first_unstable - 1], hi = grid[first_unstable];
    f.lr_lo = std::min(f.lr_lo, lo);
    f.lr_hi = std::max(f.lr_hi, hi);
    f.per_seed.push_back(std::sqrt(lo * hi));
    logs.push_back(0.5 * std::log(lo * hi));
    ++f.bracketed;
  }
  const double w = std::log(grid[1] / grid[0]);
  if (logs.empty()) {
    f.lr_max = f.ln_se = f.lr_lo = f.lr_hi = kNaN;
  } else {
    const SampleSummary s = summarize(logs);
    f.lr_max = std::exp(s.mean);
    const double spread = logs.size() >= 2 ? s.sd * s.sd / static_cast<double>(logs.size()) : 0.0;
    f.ln_se = std::sqrt(spread + w * w / 12.0);
  }
  if (below == 0 && above == 0) f.status = "bracketed";
  else
    f.status = std::to_string(f.bracketed) + " of " + std::to_string(f.seeds) + " seeds bracketed" +
               (below ? ", " + std::to_string(below) + " unstable at the grid's smallest rate" : "") +
               (above ? ", " + std::to_string(above) + " stable at every rate tried" : "");
  return f;
}

double finite_step_budget(double factor, int steps, double fraction) {
  check_positive("finite_step_budget", "factor - 1", factor - 1.0);
  check_at_least("finite_step_budget", "steps", steps, 1);
  check_positive("finite_step_budget", "fraction", fraction);
  const double growth = std::pow(factor / fraction, 1.0 / (2.0 * steps));
  return std::log(0.5 * (1.0 + growth));
}

}  // namespace batchrmt::verify
