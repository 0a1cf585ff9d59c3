// The largest stable learning rate on a fixed log grid, for several divergence factors at once
// (docs/learning-rates.md, "Divergence factor as a sensitivity"). Every (B, lr, seed) trial keeps
// the largest ratio of the monitor loss to its start over its steps (loss_max_ratio; +inf when the
// loss became non-finite). A trial is stable for factor f iff loss_max_ratio < f, so lr_max for
// any f <= the trials' stopping factor is derived from the stored ratios without rerunning.
//
// Per seed: lr_lo = the largest grid rate below which (inclusive) every rate is stable, lr_hi =
// the next grid rate (the first unstable one); lr_max_s = sqrt(lr_lo lr_hi). Over seeds:
//   ln lr_max = mean_s ln lr_max_s,
//   se(ln lr_max)^2 = var_s(ln lr_max_s) / n + w^2 / 12,
// the seed-to-seed spread of the mean plus the grid's rounding (w = ln of the grid ratio: a
// limit uniform inside one grid step has sd w / sqrt 12; not divided by n, since seeds that land
// in the same step share that rounding). With one seed only the rounding term remains.
// Torch-free: the trials come from networks/ (lr_sweep.hpp) or from tests' exact quadratics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace batchrmt::verify {

struct GridTrial {
  double lr = 0;
  std::uint64_t seed = 0;
  double loss_max_ratio = 0;  // +inf: non-finite loss
  std::int64_t steps = 0;
};

// K rates center * ratio^(k - (K-1)/2), k = 0..K-1, ascending (K odd puts `center` on the grid).
std::vector<double> log_grid(double center, double ratio, int count);

struct FactorLimit {
  double factor = 0;
  double lr_max = 0, ln_se = 0;  // geometric mean over the bracketed seeds and the se of its log
  double lr_lo = 0, lr_hi = 0;   // the smallest lr_lo and the largest lr_hi over the seeds
  int seeds = 0, bracketed = 0;  // seeds seen; seeds whose limit lies inside the grid
  std::vector<double> per_seed;  // lr_max_s (NaN when not bracketed)
  std::string status;            // "bracketed", or why not (below / above the grid)
};

// lr_max for divergence factor `factor` from the trials on `grid` (ascending, ratio constant).
// A seed whose smallest grid rate is unstable, or whose tried rates are all stable, is not
// bracketed; lr_max uses the bracketed seeds and is NaN when there are none.
FactorLimit limit_for_factor(const std::vector<GridTrial>& trials, const std::vector<double>& grid, double factor);

// The finite-step budget of a divergence rule, in ln(lr): on a quadratic direction of curvature
// lambda' holding a fraction `fraction` of the loss, plain gradient descent at lr = c 2/lambda'
// (c > 1) multiplies that part of the loss by (2c - 1)^2 per step, so it exceeds `factor` x the
// start within `steps` steps only if c >= (1 + (factor/fraction)^(1/(2 steps))) / 2. The rule thus
// places lr_max above 2/lambda' by at most ln c.
double finite_step_budget(double factor, int steps, double fraction);

}  // namespace batchrmt::verify
