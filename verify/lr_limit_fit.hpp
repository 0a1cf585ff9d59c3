// The measured stability limit per batch size of `batchrmt lr-sweep` beside the prediction from
// the measured batch spectrum, and the scaling fit of both (docs/learning-rates.md; docs/theory.md
// §2.7, §3). Torch-free.
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
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "networks/training_kinds.hpp"
#include "verify/stability_search.hpp"

namespace batchrmt::verify {

// The stability limit found at B (lr_lo, lr_hi, lr_max, bracketed, status, trials) beside its
// prediction and the batch spectrum there.
struct LrSweepRow : StabilityLimit {
  std::int64_t B = 0;
  double kappa = 0;
  double predicted = 0;  // from the measured batch spectrum (rule above); NaN without a spectrum
  double top_mean = 0, top_se = 0, overlap = 0;  // H_B
  std::string regime;                            // outlier | ambiguous | edge (networks/lr_sweep.hpp)
  double pre_top_mean = 0, pre_top_se = 0, noise_fraction = 0, damping_ratio = 0;  // adam
  std::vector<std::string> reasons;  // per trial: why it diverged ("" when stable)
  double seconds = 0;
};

struct LrScalingFit {
  double slope = 0, slope_se = 0, intercept = 0;
  std::size_t points = 0;
  std::string regime;  // classify_exponent(slope): linear | square-root | saturating
  std::vector<std::int64_t> B;
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

}  // namespace batchrmt::verify
