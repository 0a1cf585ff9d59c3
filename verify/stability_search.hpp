// The largest stable learning rate, measured (docs/theory.md §2.7): bracketing on a
// geometric grid, then bisection on log(lr), several seeds per point. The training itself is a
// callback (networks/ trains a real model; tests use exact quadratics), so the search, its
// bookkeeping and its statistics are the same for every optimiser.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace batchrmt::verify {

struct StabilityTrial {
  double lr = 0.0;
  std::uint64_t seed = 0;
  bool diverged = false;      // loss non-finite, or above `divergence_factor` x its start
  double loss_start = 0.0;
  double loss_end = 0.0;      // last finite loss
  double loss_max_ratio = 0;  // max loss / start over the budget
  std::int64_t steps = 0;     // steps run (a diverged run may stop early)
};

struct StabilitySearchOptions {
  double lr_start = 0.1;       // first probe
  double growth = 4.0;         // bracketing factor (> 1)
  int bisections = 5;          // halvings of log(hi/lo) after bracketing
  int seeds = 2;               // a learning rate is stable iff no seed diverges
  double lr_min = 1e-8, lr_max = 1e4;  // search range; hitting it is reported, not hidden
  std::uint64_t first_seed = 0;
};

struct StabilityLimit {
  double lr_lo = 0.0;        // largest learning rate seen stable for every seed
  double lr_hi = 0.0;        // smallest learning rate seen to diverge for some seed
  double lr_max = 0.0;       // geometric midpoint sqrt(lo hi); its uncertainty is the bracket
  bool bracketed = false;    // false when the range limit was hit (lr_lo or lr_hi is a bound)
  std::string status;        // "bracketed", "stable up to lr_max", "diverges down to lr_min"
  std::vector<StabilityTrial> trials;  // every run, in order
};

using StabilityRun = std::function<StabilityTrial(double lr, std::uint64_t seed)>;

// Finds [lr_lo, lr_hi] with lr_hi / lr_lo = growth^(2^-bisections). Cost: (bracketing probes +
// bisections) x seeds runs; a point stops at its first diverging seed.
StabilityLimit find_stability_limit(const StabilityRun& run, const StabilitySearchOptions& options);

}  // namespace batchrmt::verify
