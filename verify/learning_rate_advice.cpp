#include "verify/learning_rate_advice.hpp"

#include <cmath>
#include <limits>

#include "core/checks.hpp"
#include "theory/batch_hessian.hpp"

namespace batchrmt::verify {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_inputs(const AdviceInputs& in) {
  const char* f = "advise";
  check_positive(f, "lambda (the full-data top eigenvalue)", in.lambda);
  check_nonnegative(f, "V_phi", in.v_phi);
  check_positive(f, "|G|^2 (the squared full-data gradient norm)", in.gradient_norm2);
  check_nonnegative(f, "tr(Sigma)", in.trace_sigma);
  check_bounded(f, "momentum", in.momentum, 0.0, 1.0 - 1e-15);
  check_bounded(f, "beta1", in.beta1, 0.0, 1.0 - 1e-15);
  check_positive(f, "eps", in.adam_eps);
  for (const auto& b : in.batches) {
    check_positive(f, "a batch top eigenvalue", b.top);
    check_positive(f, "d_B (Adam's mean preconditioner)", b.adam_preconditioner);
  }
}

AdviceRow advice_row(const AdviceInputs& in, const BatchTopInput& b, double b_simple) {
  AdviceRow r;
  r.in = b;
  r.q = b.kappa * in.v_phi / (in.lambda * in.lambda);
  r.exponent = theory::mean_square_exponent(r.q);
  r.regime = theory::batch_noise_regime(r.q);
  r.predicted_top = theory::first_order_shift(in.lambda, b.kappa, in.v_phi);
  r.predicted_top_se = b.kappa * in.v_phi_se / in.lambda;
  // se of ln(lr) = se of ln(top); d_B's own sampling error (M per-sample gradients) is not included.
  const double spectrum_ln_se = b.top_se / b.top, ms_ln_se = r.predicted_top_se / r.predicted_top;
  r.sgd_lr = theory::heavy_ball_max_lr(b.top, in.momentum);
  r.sgd_lr_mean_square = theory::heavy_ball_max_lr(r.predicted_top, in.momentum);
  r.adam_lr = theory::ema_momentum_max_lr(b.adam_preconditioner * b.top, in.beta1);
  r.adam_lr_mean_square = theory::ema_momentum_max_lr(b.adam_preconditioner * r.predicted_top, in.beta1);
  r.sgd_lr_ln_se = r.adam_lr_ln_se = spectrum_ln_se;
  r.sgd_lr_mean_square_ln_se = r.adam_lr_mean_square_ln_se = ms_ln_se;
  r.b_over_b_simple = static_cast<double>(b.B) / b_simple;
  return r;
}

// The ln-space z of a measured limit against a prediction; a prediction without an se (one
// subset) counts with the measurement's se alone.
double ln_z(const FactorLimit& m, double predicted, double predicted_ln_se) {
  const double se_p = std::isfinite(predicted_ln_se) ? predicted_ln_se : 0.0;
  const double se = std::sqrt(m.ln_se * m.ln_se + se_p * se_p);
  if (!(std::isfinite(m.lr_max) && m.lr_max > 0 && se > 0)) return kNaN;
  return std::log(m.lr_max / predicted) / se;
}

}  // namespace

Advice advise_learning_rates(const AdviceInputs& in) {
  check_inputs(in);
  Advice a;
  a.in = in;
  a.b_crit_curvature = theory::noise_batch_size(in.lambda, in.v_phi);
  a.b_crit_curvature_se = in.v_phi_se / (in.lambda * in.lambda);
  a.b_simple = in.trace_sigma / in.gradient_norm2;
  a.b_simple_se = in.trace_sigma_se / in.gradient_norm2;
  for (const auto& b : in.batches) a.rows.push_back(advice_row(in, b, a.b_simple));
  return a;
}

std::string gradient_regime(double b_over_b_simple) {
  if (!std::isfinite(b_over_b_simple)) return "unknown";
  if (b_over_b_simple < 0.5) return "below";
  if (b_over_b_simple > 2.0) return "above";
  return "near";
}

bool advises_adam(networks::Optimizer optimizer) {
  if (optimizer == networks::Optimizer::adamw)
    throw InvalidInput("advise: optimizer is 'adamw', but must be sgd or adam.");
  return optimizer == networks::Optimizer::adam;
}

MeasuredLimit compare_limit(const AdviceRow& row, networks::Optimizer optimizer, const FactorLimit& limit) {
  const bool adam = advises_adam(optimizer);
  MeasuredLimit m;
  m.optimizer = networks::to_string(optimizer);
  m.B = row.in.B;
  m.limit = limit;
  m.predicted = adam ? row.adam_lr : row.sgd_lr;
  m.predicted_ln_se = adam ? row.adam_lr_ln_se : row.sgd_lr_ln_se;
  m.predicted_mean_square = adam ? row.adam_lr_mean_square : row.sgd_lr_mean_square;
  m.predicted_mean_square_ln_se = adam ? row.adam_lr_mean_square_ln_se : row.sgd_lr_mean_square_ln_se;
  m.ratio = limit.lr_max / m.predicted;
  m.ratio_mean_square = limit.lr_max / m.predicted_mean_square;
  m.z = ln_z(limit, m.predicted, m.predicted_ln_se);
  m.z_mean_square = ln_z(limit, m.predicted_mean_square, m.predicted_mean_square_ln_se);
  return m;
}

void write_advice(const outputs::Group& root, const Advice& a) {
  const outputs::Group g = root.group("advise");
  const std::pair<const char*, double> scalars[] = {
      {"lambda_full", a.in.lambda},           {"lambda_full_residual", a.in.lambda_residual},
      {"v_phi", a.in.v_phi},                  {"v_phi_se", a.in.v_phi_se},
      {"gradient_norm2", a.in.gradient_norm2}, {"trace_sigma", a.in.trace_sigma},
      {"trace_sigma_se", a.in.trace_sigma_se}, {"b_crit_curvature", a.b_crit_curvature},
      {"b_crit_curvature_se", a.b_crit_curvature_se}, {"b_simple", a.b_simple},
      {"b_simple_se", a.b_simple_se},         {"momentum", a.in.momentum},
      {"beta1", a.in.beta1},                  {"adam_eps", a.in.adam_eps}};
  for (const auto& [name, value] : scalars) g.set_attribute(name, value);
  g.set_attribute("N", a.in.N);
  g.set_attribute("P", a.in.P);
  g.set_attribute("noise_samples", static_cast<std::int64_t>(a.in.noise_samples));
  g.set_attribute("gradient_samples", static_cast<std::int64_t>(a.in.gradient_samples));
  const outputs::Group t = g.group("table");
  const auto& rows = a.rows;
  outputs::write_column(t, "B", rows, [](const AdviceRow& r) { return r.in.B; });
  outputs::write_column(t, "kappa", rows, [](const AdviceRow& r) { return r.in.kappa; });
  outputs::write_column(t, "subsets", rows, [](const AdviceRow& r) { return r.in.subsets; });
  outputs::write_column(t, "top", rows, [](const AdviceRow& r) { return r.in.top; });
  outputs::write_column(t, "top_se", rows, [](const AdviceRow& r) { return r.in.top_se; });
  outputs::write_column(t, "adam_preconditioner", rows, [](const AdviceRow& r) { return r.in.adam_preconditioner; });
  outputs::write_column(t, "regime", rows, [](const AdviceRow& r) { return std::string(theory::to_string(r.regime)); });
  outputs::write_column(t, "gradient_regime", rows, [](const AdviceRow& r) { return gradient_regime(r.b_over_b_simple); });
  outputs::write_columns(t, rows,
                         BATCHRMT_MEMBERS(AdviceRow, q, exponent, predicted_top, predicted_top_se, sgd_lr, sgd_lr_ln_se,
                                          sgd_lr_mean_square, sgd_lr_mean_square_ln_se, adam_lr, adam_lr_ln_se,
                                          adam_lr_mean_square, adam_lr_mean_square_ln_se, b_over_b_simple));
}

void write_measured_limits(const outputs::Group& root, const std::vector<MeasuredLimit>& limits) {
  const outputs::Group t = root.group("advise").group("measured");
  outputs::write_column(t, "optimizer", limits, &MeasuredLimit::optimizer);
  outputs::write_column(t, "B", limits, &MeasuredLimit::B);
  outputs::write_column(t, "divergence_factor", limits, [](const MeasuredLimit& m) { return m.limit.factor; });
  outputs::write_column(t, "lr_max", limits, [](const MeasuredLimit& m) { return m.limit.lr_max; });
  outputs::write_column(t, "lr_max_ln_se", limits, [](const MeasuredLimit& m) { return m.limit.ln_se; });
  outputs::write_column(t, "seeds_bracketed", limits, [](const MeasuredLimit& m) { return m.limit.bracketed; });
  outputs::write_column(t, "status", limits, [](const MeasuredLimit& m) { return m.limit.status; });
  outputs::write_columns(t, limits,
                         BATCHRMT_MEMBERS(MeasuredLimit, predicted, predicted_ln_se, ratio, z, predicted_mean_square,
                                          predicted_mean_square_ln_se, ratio_mean_square, z_mean_square));
}

}  // namespace batchrmt::verify
