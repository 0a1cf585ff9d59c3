#include "verify/learner_diagnosis.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include <algorithm>
#include <cmath>
#include <limits>

#include "theory/batch_hessian.hpp"
#include "theory/learning_rates.hpp"

namespace batchrmt::verify {

networks::LearnerMarginRule make_learner_margin_rule() {
  return [](const networks::LearnerMarginInput& in) {
    networks::LearnerMargins m;
    m.kappa = theory::kappa_factor(in.population, std::min(in.batch_size, in.population));  // B >= N: one full batch
    m.lambda_mean_square = theory::first_order_shift(in.L, m.kappa, in.v_phi);
    m.margin = in.lr / theory::heavy_ball_max_lr(in.L, in.momentum);
    m.margin_mean_square = in.lr / theory::heavy_ball_max_lr(m.lambda_mean_square, in.momentum);
    return m;
  };
}

MarginCrossing first_margin_crossing(const std::vector<networks::LearnerEpoch>& history, bool mean_square) {
  MarginCrossing c;
  c.margin = std::numeric_limits<double>::quiet_NaN();
  for (const auto& e : history) {
    const double m = mean_square ? e.margin_mean_square : e.margin;
    if (e.updated && std::isfinite(m) && m > 1.0) {
      c.epoch = e.epoch;
      c.margin = m;
      break;
    }
  }
  return c;
}

}  // namespace batchrmt::verify
#endif
