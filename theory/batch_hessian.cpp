#include "theory/batch_hessian.hpp"

#include <algorithm>
#include <cmath>

#include "core/checks.hpp"
#include "theory/spiked_covariance.hpp"
#include "theory/spiked_wigner.hpp"

namespace batchrmt::theory {

double kappa_factor(std::int64_t N, std::int64_t B) {
  check_at_least("kappa_factor", "N", N, std::int64_t{1});
  check_at_least("kappa_factor", "B", B, std::int64_t{1});
  check_at_most("kappa_factor", "B", B, N);
  if (N == 1) return 0.0;
  return static_cast<double>(N - B) / (static_cast<double>(B) * static_cast<double>(N - 1));
}

double kappa_factor_infinite(std::int64_t B) {
  check_at_least("kappa_factor_infinite", "B", B, std::int64_t{1});
  return 1.0 / static_cast<double>(B);
}

double batch_noise_variance(double kappa, double s2) {
  check_nonnegative("batch_noise_variance", "kappa", kappa);
  check_nonnegative("batch_noise_variance", "s2", s2);
  return kappa * s2;
}

double batch_omega2(double kappa, double P, double s2) {
  check_positive("batch_omega2", "P", P);
  return P * batch_noise_variance(kappa, s2);
}

namespace {
void check_batches(const char* fn, std::int64_t N, const std::vector<std::int64_t>& Bs) {
  if (Bs.empty()) ::batchrmt::detail::fail_check(fn, "Bs", "empty", "must list at least one batch size");
  for (auto B : Bs) {
    check_at_least(fn, "B", B, std::int64_t{1});
    if (N > 0) check_at_most(fn, "B", B, N);
  }
}

// One side of Theorem A: spikes of one sign (given as magnitudes) on a bulk of radius 2 omega.
struct Side {
  double extreme = 0.0;
  SpikeRegime regime = SpikeRegime::Subcritical;
  double overlap = 0.0;
  double variance = 0.0;  // (2/beta) omega^2 (1 - omega^2/lambda^2), beta = 1
};
Side one_side(const std::vector<double>& magnitudes, double omega) {
  if (magnitudes.empty()) return {2.0 * omega, SpikeRegime::Subcritical, 0.0, 0.0};
  const double lam = *std::max_element(magnitudes.begin(), magnitudes.end());
  // No fluctuation (B = N): the spike itself.
  if (omega == 0.0) return {lam, lam > 0.0 ? SpikeRegime::Supercritical : SpikeRegime::Critical, 1.0, 0.0};
  // The largest spike gives the most extreme eigenvalue (theta + omega^2/theta increases above threshold).
  const SpikedWignerPrediction p = spiked_wigner(lam, omega, 1);
  return {p.extreme, p.regime, p.overlap, p.variance_coefficient};
}
}  // namespace

std::vector<BatchHessianRow> batch_hessian_table(const std::vector<double>& spikes, double P, double s2,
                                                 std::int64_t N, const std::vector<std::int64_t>& Bs) {
  const char* fn = "batch_hessian_table";
  check_positive(fn, "P", P);
  check_nonnegative(fn, "s2", s2);
  check_at_least(fn, "N", N, std::int64_t{0});
  check_batches(fn, N, Bs);
  std::vector<double> pos, neg;
  for (double l : spikes) {
    check_finite(fn, "lambda", l);
    if (l > 0) pos.push_back(l);
    if (l < 0) neg.push_back(-l);
  }
  std::vector<BatchHessianRow> rows;
  for (auto B : Bs) {
    BatchHessianRow r;
    r.B = B;
    r.kappa = N > 0 ? kappa_factor(N, B) : kappa_factor_infinite(B);
    r.omega = std::sqrt(batch_omega2(r.kappa, P, s2));
    const Side top = one_side(pos, r.omega), bot = one_side(neg, r.omega);
    r.top = top.extreme;
    r.bottom = -bot.extreme;
    r.regime_top = top.regime;
    r.regime_bottom = bot.regime;
    r.overlap_top = top.overlap;
    // §2.3: Var lambda ≈ v/n with n = P (the Wigner dimension): 2 kappa s^2 (1 - omega^2/lambda^2).
    r.top_sd = std::sqrt(top.variance / P);
    if (r.top > 0.0) r.lr_max_sgd = 2.0 / r.top;
    rows.push_back(r);
  }
  return rows;
}

std::vector<GgnBatchRow> ggn_batch_table(const std::vector<double>& ells, double sigma2, double P, double c_eff,
                                         std::int64_t N, const std::vector<std::int64_t>& Bs) {
  const char* fn = "ggn_batch_table";
  check_positive(fn, "sigma2", sigma2);
  check_positive(fn, "P", P);
  check_positive(fn, "c_eff", c_eff);
  check_at_least(fn, "N", N, std::int64_t{0});
  check_batches(fn, N, Bs);
  double ell = sigma2;  // no spike: the bulk level
  for (double l : ells) {
    check_positive(fn, "ell", l);
    ell = std::max(ell, l);
  }
  std::vector<GgnBatchRow> rows;
  for (auto B : Bs) {
    GgnBatchRow r;
    r.B = B;
    r.kappa = N > 0 ? kappa_factor(N, B) : kappa_factor_infinite(B);
    r.gamma = P * r.kappa / c_eff;
    if (r.gamma == 0.0) {  // B = N: no sampling noise relative to G_emp
      r.top = ell;
      r.edge = sigma2;
      r.bottom = sigma2;
      r.regime = ell > sigma2 ? SpikeRegime::Supercritical : SpikeRegime::Critical;
      r.overlap = 1.0;
    } else {
      const SpikedCovariancePrediction p = spiked_covariance(ell, r.gamma, sigma2, 1);
      r.top = p.extreme;
      r.edge = p.edge;
      r.bottom = (static_cast<double>(B) * c_eff < P) ? 0.0 : p.lower_edge;
      r.regime = p.regime;
      r.overlap = p.overlap;
    }
    if (r.top > 0.0) r.lr_max_sgd = 2.0 / r.top;
    rows.push_back(r);
  }
  return rows;
}

double first_order_shift(double lambda, double kappa, double V_phi) {
  check_finite("first_order_shift", "lambda", lambda);
  if (lambda == 0.0) ::batchrmt::detail::fail_check("first_order_shift", "lambda", "0", "must be nonzero");
  check_nonnegative("first_order_shift", "kappa", kappa);
  check_nonnegative("first_order_shift", "V_phi", V_phi);
  return lambda + kappa * V_phi / lambda;
}

double threshold_top(double lambda, double kappa, double V_phi) {
  const double first = first_order_shift(lambda, kappa, V_phi);
  const double omega2 = kappa * V_phi;
  return omega2 <= lambda * lambda ? first : std::copysign(2.0 * std::sqrt(omega2), lambda);
}

double regime_ratio(double lambda, double kappa, double V_phi) { return kappa * V_phi / (lambda * lambda); }

double first_order_sd(double kappa, double W_phi) { return std::sqrt(kappa * W_phi); }

double second_order_shift(double lambda, double kappa, double V_perp, const std::vector<double>& other_spikes,
                          const std::vector<double>& c) {
  const char* fn = "second_order_shift";
  check_finite(fn, "lambda", lambda);
  if (lambda == 0.0) ::batchrmt::detail::fail_check(fn, "lambda", "0", "must be nonzero");
  check_nonnegative(fn, "kappa", kappa);
  check_nonnegative(fn, "V_perp", V_perp);
  check_size_match(fn, "other_spikes", other_spikes.size(), "c", c.size());
  double s = V_perp / lambda;
  for (std::size_t k = 0; k < c.size(); ++k) {
    if (other_spikes[k] == lambda)
      ::batchrmt::detail::fail_check(fn, "other_spikes", ::batchrmt::detail::format_value(other_spikes[k]), "must differ from lambda");
    s += c[k] * (1.0 / (lambda - other_spikes[k]) - 1.0 / lambda);
  }
  return lambda + kappa * s;
}

}  // namespace batchrmt::theory
