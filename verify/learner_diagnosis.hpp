// Stability diagnosis of the spectrum-driven learner (docs/learner.md; docs/theory.md §2.7, §5.7,
// §6.4): the margin rule networks/learner.hpp calls after every curvature update, and the first
// epoch at which a margin exceeded 1. Built only with LibTorch (networks/ types).
//
//   kappa_B            = theory::kappa_factor(N, B)                    (§1.2, Cochran 1977)
//   lambda_mean_square = theory::first_order_shift(L, kappa_B, V_phi)  (§5.7: L + kappa_B V_phi / L)
//   margin             = lr / theory::heavy_ball_max_lr(L, rho)        = lr L / (2 (1 + rho))
//   margin_mean_square = lr / theory::heavy_ball_max_lr(lambda_mean_square, rho)
// (§2.7 heavy ball [STD]: stable on the quadratic iff lr lambda < 2 (1 + rho), i.e. margin < 1;
// the mean-square form uses the expected batch top at the training B instead of L, the
// mean-square stability of Wu, Ma & E 2018.)
#pragma once

#ifdef BATCHRMT_WITH_TORCH
#include <vector>

#include "networks/learner.hpp"

namespace batchrmt::verify {

networks::LearnerMarginRule make_learner_margin_rule();

// The first update whose margin (or margin_mean_square) exceeds 1.
struct MarginCrossing {
  int epoch = -1;      // 1-based epoch of the LearnerEpoch; -1: never crossed
  double margin = 0;   // its margin (NaN when never crossed)
};
MarginCrossing first_margin_crossing(const std::vector<networks::LearnerEpoch>& history, bool mean_square);

}  // namespace batchrmt::verify
#endif
