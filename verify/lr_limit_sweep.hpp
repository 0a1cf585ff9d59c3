// `batchrmt lr-sweep` (docs/learning-rates.md; docs/theory.md §2.7, §3): the measured stability
// limit against batch size beside the prediction from the measured batch spectrum and their
// scaling fits (verify/lr_limit_fit.hpp gives the rule and the fit).
//
// HDF5 (below the store root, group `lr_sweep` or the request's):
//   /lr_sweep                 attributes: optimiser, trial options, search options, model, data, rule
//   /lr_sweep/spectrum        unit: lambda_full, per B: kappa, top (B x subsets), top_mean/se,
//                             second_mean, overlap (B x subsets), overlap_mean, regime,
//                             [pre_top, pre_top_mean/se, noise_fraction, damping_ratio]
//   /lr_sweep/B=<B>           unit: every trial (lr, seed, diverged, loss_start, loss_end,
//                             loss_max_ratio, steps, reason) and lr_lo, lr_hi, lr_max, status
//   /lr_sweep/summary         B, lr_max, lr_lo, lr_hi, predicted, bracketed; fit attributes
// Both kinds of unit go through core/unit_runner.hpp: complete ones are read back, not rerun.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "networks/training_kinds.hpp"
#include "verify/lr_limit_fit.hpp"
#include "verify/stability_search.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "networks/datasets.hpp"
#include "networks/lr_sweep.hpp"
#include "networks/models.hpp"
#endif

namespace batchrmt::outputs {
class Store;
}

namespace batchrmt::verify {

struct LrSweepResult {
  networks::Optimizer optimizer = networks::Optimizer::sgd;
  double lambda_full = 0;
  std::int64_t N = 0, P = 0;
  std::vector<LrSweepRow> rows;
  LrScalingFit fit;            // all bracketed rows
  LrScalingFit predicted_fit;  // the same fit of the predictions (se 0: equal weights)
  std::string rule;            // the prediction rule in words
  double seconds = 0;
};

#ifdef BATCHRMT_WITH_TORCH
struct LrSweepRequest {
  networks::Model model;  // the starting point (not modified)
  networks::Dataset train;
  networks::Transform transform;     // augmentation is switched off
  networks::LrTrialOptions trial;    // batch_size is set per B
  StabilitySearchOptions search;     // lr_start is replaced by the prediction when start_at_prediction
  bool start_at_prediction = true;
  bool measure_spectrum = true;
  networks::LrSpectrumOptions spectrum;  // preconditioned/eps follow trial.optimizer/eps
  std::vector<std::int64_t> batch_sizes;
  std::map<std::string, std::string> attributes;  // provenance written on the group
  std::string group = "lr_sweep";
  std::function<void(const std::string&)> log;
};
// With a store, the spectrum and every B are units: complete ones are read back, not rerun.
LrSweepResult run_lr_sweep(const LrSweepRequest& request, outputs::Store* store);
#endif

}  // namespace batchrmt::verify
