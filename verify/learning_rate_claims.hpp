// Learning rates from curvature (docs/learning-rates.md; docs/theory.md §2.7, §3, §6.4): the measured stability
// limit against batch size (`batchrmt lr-sweep`), its scaling fit, and claims C6 (SGD), C7
// (Adam) and C8 (the spectrum-driven learner against tuned SGD), configured by the sections
// [c6], [c7], [c8] of a Config. Built without LibTorch the claims return not_measured.
//
// Prediction per batch size B from the MEASURED batch spectrum at the starting point:
//   sgd   lr = 2 (1 + rho) / lambda'_1(B)               (heavy ball [STD], rho = momentum)
//   adam  lr = 2 (1 + beta1) / ((1 - beta1) mu'_1(B))   (EMA momentum on the linearised step
//         alpha D H_B [RECON]), mu'_1(B) = lambda_max(D^{1/2} H_B D^{1/2}) with D from the
//         expected second moment gbar^2 + kappa_B s^2 (networks/lr_sweep.hpp)
// lambda'_1(B) is the mean over subsets of the top Ritz value of H_B.
//
// Scaling fit: weighted least squares of ln lr_max on ln B over the bracketed rows, with
// se(ln lr_max) = ln(lr_hi / lr_lo) / 2 (half the final bracket: the search cannot locate the
// limit more finely; the seed-to-seed spread is inside the bracket because a rate counts as
// stable only when every seed is). `regime` of the fit is theory::classify_exponent(slope).
//
// HDF5 (below the store root, group `lr_sweep` or the request's):
//   /lr_sweep                 attributes: optimiser, trial options, search options, model, data, rule
//   /lr_sweep/spectrum        unit: lambda_full, per B: kappa, top (B x subsets), top_mean/se,
//                             second_mean, overlap (B x subsets), overlap_mean, regime,
//                             [pre_top, pre_top_mean/se, noise_fraction, damping_ratio]
//   /lr_sweep/B=<B>           unit: every trial (lr, seed, diverged, loss_start, loss_end,
//                             loss_max_ratio, steps, reason) and lr_lo, lr_hi, lr_max, status
//   /lr_sweep/summary         B, lr_max, lr_lo, lr_hi, predicted, bracketed; fit attributes
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "networks/training_kinds.hpp"
#include "verify/claims.hpp"
#include "verify/stability_search.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "networks/datasets.hpp"
#include "networks/learner.hpp"
#include "networks/lr_sweep.hpp"
#include "networks/models.hpp"
#endif

namespace batchrmt::outputs {
class Store;
}

namespace batchrmt::verify {

struct LrSweepRow {
  std::int64_t B = 0;
  double kappa = 0;
  double lr_max = 0, lr_lo = 0, lr_hi = 0;
  bool bracketed = false;
  std::string status;
  double predicted = 0;  // from the measured batch spectrum (rule above); NaN without a spectrum
  double top_mean = 0, top_se = 0, overlap = 0;  // H_B
  std::string regime;                            // outlier | ambiguous | edge (networks/lr_sweep.hpp)
  double pre_top_mean = 0, pre_top_se = 0, noise_fraction = 0, damping_ratio = 0;  // adam
  std::vector<StabilityTrial> trials;
  std::vector<std::string> reasons;  // per trial: why it diverged ("" when stable)
  double seconds = 0;
};

struct LrScalingFit {
  double slope = 0, slope_se = 0, intercept = 0;
  std::size_t points = 0;
  std::string regime;  // classify_exponent(slope): linear | square-root | saturating
  std::vector<std::int64_t> B;
};

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

// se(ln lr_max) = ln(hi/lo)/2 per row; rows with use[i] false or not bracketed are left out.
// Fewer than two points: slope NaN.
LrScalingFit fit_lr_scaling(const std::vector<LrSweepRow>& rows, const std::vector<bool>& use);
LrScalingFit fit_predicted_scaling(const std::vector<LrSweepRow>& rows, const std::vector<bool>& use);

// The rule above from a top eigenvalue (of H_B for sgd, of D^{1/2} H_B D^{1/2} for adam); NaN
// when lambda_top is not positive. adamw is refused (InvalidInput): the rule of
// docs/learning-rates.md linearises Adam with L2 weight decay, and decoupled decay adds a step
// the preconditioner does not scale, which the rule does not contain.
double predicted_max_lr(networks::Optimizer optimizer, double momentum, double beta1, double lambda_top);

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

// The learner's rule from theory/spectrum_learner.hpp (docs/theory.md §6.4) as networks' callback.
networks::LearnerRule make_learner_rule(const std::string& variant, const std::string& mu_rule,
                                        const std::string& momentum_formula);
#endif

// Claims (configs/default.toml [c6], [c7], [c8]; defaults in docs/learning-rates.md).
ClaimResult claim_sgd_scaling(const Config& config, std::uint64_t seed);
ClaimResult claim_adam_scaling(const Config& config, std::uint64_t seed);
ClaimResult claim_spectrum_learner(const Config& config, std::uint64_t seed);

}  // namespace batchrmt::verify
