#include "theory/learning_rates.hpp"

#include <cmath>
#include <functional>

#include "core/checks.hpp"
#include "theory/batch_hessian.hpp"

namespace batchrmt::theory {

double sgd_max_lr(double lambda_top) {
  check_positive("sgd_max_lr", "lambda_top", lambda_top);
  return 2.0 / lambda_top;
}

double heavy_ball_max_lr(double lambda_top, double momentum) {
  check_positive("heavy_ball_max_lr", "lambda_top", lambda_top);
  check_bounded("heavy_ball_max_lr", "momentum", momentum, 0.0, 1.0 - 1e-15);
  return 2.0 * (1.0 + momentum) / lambda_top;
}

double ema_momentum_max_lr(double lambda_top, double beta1) {
  check_bounded("ema_momentum_max_lr", "beta1", beta1, 0.0, 1.0 - 1e-15);
  return heavy_ball_max_lr(lambda_top, beta1) / (1.0 - beta1);
}

double mean_square_exponent(double q) {
  check_nonnegative("mean_square_exponent", "q", q);
  return q / (1.0 + q);
}

BatchNoiseRegime batch_noise_regime(double q) {
  check_nonnegative("batch_noise_regime", "q", q);
  if (q <= 0.25) return BatchNoiseRegime::curvature_dominated;
  if (q >= 4.0) return BatchNoiseRegime::noise_dominated;
  return BatchNoiseRegime::crossover;
}

const char* to_string(BatchNoiseRegime regime) {
  switch (regime) {
    case BatchNoiseRegime::curvature_dominated: return "curvature-dominated";
    case BatchNoiseRegime::crossover: return "crossover";
    case BatchNoiseRegime::noise_dominated: return "noise-dominated";
  }
  return "unknown";
}

double noise_batch_size(double lambda1, double noise_power) {
  check_positive("noise_batch_size", "lambda1", lambda1);
  check_nonnegative("noise_batch_size", "noise_power", noise_power);
  return noise_power / (lambda1 * lambda1);
}

std::string classify_exponent(double e) {
  if (e >= 0.75) return "linear";
  if (e >= 0.25) return "square-root";
  return "saturating";
}

namespace {
// kappa as a smooth function of a real batch size (for local exponents).
double kappa_real(std::int64_t N, double B) {
  if (N <= 0) return 1.0 / B;
  if (N == 1) return 0.0;
  return (static_cast<double>(N) - B) / (B * (static_cast<double>(N) - 1.0));
}
double kappa_of(std::int64_t N, std::int64_t B) { return N > 0 ? kappa_factor(N, B) : kappa_factor_infinite(B); }

// Theorem A (§2.3): top eigenvalue for spike lambda1 > 0 on a bulk of radius 2 omega.
double theorem_a_top(double lambda1, double omega2) {
  const double omega = std::sqrt(omega2);
  return lambda1 > omega ? lambda1 + omega2 / lambda1 : 2.0 * omega;
}

// d ln y / d ln B by a central difference in ln B (step 1e-4); falls back to one-sided at B = N.
double log_slope(const std::function<double(double)>& y, double B, std::int64_t N) {
  const double h = 1e-4;
  double up = B * std::exp(h), dn = B * std::exp(-h);
  if (N > 0 && up > static_cast<double>(N)) {
    const double y0 = y(B), y1 = y(dn);
    return (std::log(y0) - std::log(y1)) / h;
  }
  return (std::log(y(up)) - std::log(y(dn))) / (2.0 * h);
}

void check_common(const char* fn, double lambda1, double noise_power, std::int64_t N, std::int64_t B) {
  check_positive(fn, "lambda1", lambda1);
  check_nonnegative(fn, "noise_power", noise_power);
  check_at_least(fn, "N", N, std::int64_t{0});
  check_at_least(fn, "B", B, std::int64_t{1});
  if (N > 0) check_at_most(fn, "B", B, N);
}
}  // namespace

SgdRule sgd_rule(double lambda1, double noise_power, std::int64_t N, std::int64_t B, double momentum) {
  const char* fn = "sgd_rule";
  check_common(fn, lambda1, noise_power, N, B);
  check_bounded(fn, "momentum", momentum, 0.0, 1.0 - 1e-15);
  SgdRule r;
  r.B = B;
  r.kappa = kappa_of(N, B);
  r.q = r.kappa * noise_batch_size(lambda1, noise_power);
  r.lambda_top = theorem_a_top(lambda1, r.kappa * noise_power);
  r.lr_max = 2.0 * (1.0 + momentum) / r.lambda_top;
  r.lr_first_order = 2.0 * (1.0 + momentum) / lambda1 / (1.0 + r.q);
  r.exponent = log_slope(
      [&](double b) { return 1.0 / theorem_a_top(lambda1, kappa_real(N, b) * noise_power); }, static_cast<double>(B), N);
  if (r.q > 1.0)
    r.regime = "edge";
  else if (r.q == 1.0)
    r.regime = "threshold";
  else if (r.q <= 0.1)
    r.regime = "saturating";
  else
    r.regime = "crossover";
  r.first_order_regime = r.q >= 10.0 ? "linear" : (r.q <= 0.1 ? "saturating" : "crossover");
  return r;
}

AdamRule adam_rule(double lambda1, double noise_power, std::int64_t N, std::int64_t B, double delta, double grad_sd,
                   double grad_mean) {
  const char* fn = "adam_rule";
  check_common(fn, lambda1, noise_power, N, B);
  check_nonnegative(fn, "delta", delta);
  check_nonnegative(fn, "grad_sd", grad_sd);
  check_finite(fn, "grad_mean", grad_mean);
  AdamRule r;
  r.B = B;
  r.kappa = kappa_of(N, B);
  auto lr_at = [&](double kappa) {
    const double v = grad_mean * grad_mean + kappa * grad_sd * grad_sd;
    return 2.0 * (std::sqrt(v) + delta) / theorem_a_top(lambda1, kappa * noise_power);
  };
  r.lambda_top = theorem_a_top(lambda1, r.kappa * noise_power);
  r.second_moment = grad_mean * grad_mean + r.kappa * grad_sd * grad_sd;
  r.lr_max = lr_at(r.kappa);
  if (!(r.lr_max > 0.0))
    ::batchrmt::detail::fail_check(fn, "delta", ::batchrmt::detail::format_value(delta),
                                   "must be positive when the gradient second moment is zero");
  r.exponent = log_slope([&](double b) { return lr_at(kappa_real(N, b)); }, static_cast<double>(B), N);
  const double sv = std::sqrt(r.second_moment);
  const double noise2 = r.kappa * grad_sd * grad_sd, signal2 = grad_mean * grad_mean;
  if (delta >= 10.0 * sv)
    r.regime = "damping-dominated";
  else if (delta <= 0.1 * sv && noise2 >= 10.0 * signal2)
    r.regime = "noise-dominated";
  else if (delta <= 0.1 * sv && signal2 >= 10.0 * noise2)
    r.regime = "signal-dominated";
  else
    r.regime = "mixed";
  r.scaling = classify_exponent(r.exponent);
  return r;
}

DampingRule minimal_damping(double lr, double lambda1, double noise_power, std::int64_t N, std::int64_t B) {
  const char* fn = "minimal_damping";
  check_positive(fn, "lr", lr);
  check_common(fn, lambda1, noise_power, N, B);
  DampingRule r;
  r.B = B;
  const double kappa = kappa_of(N, B);
  r.lambda_top = theorem_a_top(lambda1, kappa * noise_power);
  r.delta_min = 0.5 * lr * r.lambda_top;
  r.exponent = log_slope([&](double b) { return 0.5 * lr * theorem_a_top(lambda1, kappa_real(N, b) * noise_power); },
                         static_cast<double>(B), N);
  const double q = kappa * noise_batch_size(lambda1, noise_power);
  r.regime = q > 1.0 ? "edge" : (q == 1.0 ? "threshold" : "outlier");
  return r;
}

HeavyBallRule heavy_ball_optimal(double lambda_max, double lambda_min, MomentumFormula f) {
  const char* fn = "heavy_ball_optimal";
  check_positive(fn, "lambda_max", lambda_max);
  check_positive(fn, "lambda_min", lambda_min);
  check_at_most(fn, "lambda_min", lambda_min, lambda_max);
  HeavyBallRule r;
  const double L = lambda_max, mu = lambda_min, sL = std::sqrt(L), sm = std::sqrt(mu);
  r.condition = L / mu;
  r.gd_lr = 2.0 / (L + mu);
  r.gd_rate = (r.condition - 1.0) / (r.condition + 1.0);
  r.lr = 4.0 / ((sL + sm) * (sL + sm));
  const double sk = std::sqrt(r.condition);
  r.rate = (sk - 1.0) / (sk + 1.0);
  if (f == MomentumFormula::Polyak) {
    const double t = (sL - sm) / (sL + sm);
    r.momentum = t * t;
    r.momentum_formula = "polyak";
  } else {
    const double t = (sL - sm) / (sL + mu);
    r.momentum = t * t;
    r.momentum_formula = "code";
  }
  return r;
}

}  // namespace batchrmt::theory
