// The prediction rule and the scaling fits of the stability limits (lr_limit_fit.hpp).
#include "verify/lr_limit_fit.hpp"

#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "theory/learning_rates.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

double predicted_max_lr(networks::Optimizer optimizer, double momentum, double beta1, double lambda_top) {
  // docs/learning-rates.md, "Prediction": the rule covers sgd and adam (the sweep has no adamw).
  if (optimizer == networks::Optimizer::adamw)
    throw InvalidInput("the predicted learning-rate limit covers sgd and adam (docs/learning-rates.md), but optimizer is "
                       "adamw: decoupled weight decay is not part of the linearised rule.");
  if (!(std::isfinite(lambda_top) && lambda_top > 0)) return kNaN;
  if (optimizer == networks::Optimizer::adam) return theory::ema_momentum_max_lr(lambda_top, beta1);
  return theory::heavy_ball_max_lr(lambda_top, momentum);
}

namespace {
LrScalingFit fit_rows(const std::vector<LrSweepRow>& rows, const std::vector<bool>& use, bool predicted) {
  LrScalingFit f;
  std::vector<double> x, y, se;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (i < use.size() && !use[i]) continue;
    if (predicted) {
      if (!(std::isfinite(r.predicted) && r.predicted > 0)) continue;
      x.push_back(std::log(static_cast<double>(r.B)));
      y.push_back(std::log(r.predicted));
      se.push_back(1.0);
    } else {
      if (!r.bracketed || !(r.lr_lo > 0 && r.lr_hi > r.lr_lo)) continue;
      x.push_back(std::log(static_cast<double>(r.B)));
      y.push_back(std::log(r.lr_max));
      se.push_back(0.5 * std::log(r.lr_hi / r.lr_lo));
    }
    f.B.push_back(r.B);
  }
  f.points = x.size();
  if (x.size() < 2) {
    f.slope = f.slope_se = f.intercept = kNaN;
    f.regime = "not enough points";
    return f;
  }
  const LineFit lf = fit_line(x, y, se);
  f.slope = lf.slope;
  f.slope_se = predicted ? 0.0 : lf.slope_se;
  f.intercept = lf.intercept;
  f.regime = theory::classify_exponent(f.slope);
  return f;
}
}  // namespace

LrScalingFit fit_lr_scaling(const std::vector<LrSweepRow>& rows, const std::vector<bool>& use) {
  return fit_rows(rows, use, false);
}
LrScalingFit fit_predicted_scaling(const std::vector<LrSweepRow>& rows, const std::vector<bool>& use) {
  return fit_rows(rows, use, true);
}

}  // namespace batchrmt::verify
