// C6 (SGD) and C7 (Adam): the measured largest stable learning rate against batch size, and its
// scaling fits (configs [c6], [c7]).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "core/rng.hpp"
#include "verify/claim_data.hpp"
#include "verify/learning_rate_claims.hpp"
#include "verify/statistics.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"
#endif
#include "theory/learning_rates.hpp"

namespace batchrmt::verify {

#ifdef BATCHRMT_WITH_TORCH

namespace nw = batchrmt::networks;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void put_sweep(ClaimResult& r, const LrSweepResult& s, const std::string& prefix) {
  std::vector<double> B, lm, lo, hi, pr, top, tse, ov, kappa, trials, pre, nf, dr;
  std::string regimes;
  for (const auto& row : s.rows) {
    B.push_back(static_cast<double>(row.B));
    lm.push_back(row.lr_max);
    lo.push_back(row.lr_lo);
    hi.push_back(row.lr_hi);
    pr.push_back(row.predicted);
    top.push_back(row.top_mean);
    tse.push_back(row.top_se);
    ov.push_back(row.overlap);
    kappa.push_back(row.kappa);
    trials.push_back(static_cast<double>(row.trials.size()));
    pre.push_back(row.pre_top_mean);
    nf.push_back(row.noise_fraction);
    dr.push_back(row.damping_ratio);
    regimes += (regimes.empty() ? "" : ",") + row.regime;
  }
  r.series[prefix + "B"] = B;
  r.series[prefix + "lr_max"] = lm;
  r.series[prefix + "lr_lo"] = lo;
  r.series[prefix + "lr_hi"] = hi;
  r.series[prefix + "predicted"] = pr;
  r.series[prefix + "top_mean"] = top;
  r.series[prefix + "top_se"] = tse;
  r.series[prefix + "overlap"] = ov;
  r.series[prefix + "kappa"] = kappa;
  r.series[prefix + "trials"] = trials;
  if (s.optimizer == "adam") {
    r.series[prefix + "preconditioned_top"] = pre;
    r.series[prefix + "noise_fraction"] = nf;
    r.series[prefix + "damping_ratio"] = dr;
  }
  r.labels[prefix + "regimes"] = regimes;
  r.labels[prefix + "fit_regime"] = s.fit.regime;
  r.labels[prefix + "prediction_rule"] = s.rule;
  r.scalars[prefix + "lambda_full"] = s.lambda_full;
  r.scalars[prefix + "slope_all"] = s.fit.slope;
  r.scalars[prefix + "slope_all_se"] = s.fit.slope_se;
  r.scalars[prefix + "predicted_slope_all"] = s.predicted_fit.slope;
  r.scalars[prefix + "seconds"] = s.seconds;
}

// The B's of the noise-dominated range: measured lambda'_1(B) >= ratio * lambda_1 (the batch
// shift at least (ratio - 1) lambda_1: THEORY.md §2.7's q_B >= ratio - 1 in the outlier formula).
std::vector<bool> noise_dominated(const LrSweepResult& s, double ratio) {
  std::vector<bool> use;
  for (const auto& r : s.rows) use.push_back(std::isfinite(r.top_mean) && r.top_mean >= ratio * s.lambda_full);
  return use;
}

std::string majority_regime(const LrSweepResult& s, const std::vector<bool>& use) {
  int outlier = 0, edge = 0, other = 0;
  for (std::size_t i = 0; i < s.rows.size(); ++i) {
    if (!use[i]) continue;
    if (s.rows[i].regime == "outlier") ++outlier;
    else if (s.rows[i].regime == "edge") ++edge;
    else ++other;
  }
  if (edge > outlier + other) return "edge";
  if (outlier > edge + other) return "outlier";
  return "ambiguous";
}

struct PartVerdict {
  Verdict verdict = Verdict::not_measured;
  double slope = kNaN, slope_se = kNaN, predicted_slope = kNaN, z = kNaN;
  std::string note;
};

// Slope of ln lr_max on ln B over `use` against `claim`, with the regime checks.
PartVerdict scaling_part(const LrSweepResult& s, const std::vector<bool>& use, double claim, double budget,
                         const std::string& what, const std::string& extra_regime_failure) {
  PartVerdict p;
  const auto fit = fit_lr_scaling(s.rows, use);
  const auto pfit = fit_predicted_scaling(s.rows, use);
  p.slope = fit.slope;
  p.slope_se = fit.slope_se;
  p.predicted_slope = pfit.slope;
  std::string Bs;
  for (auto b : fit.B) Bs += (Bs.empty() ? "" : ",") + std::to_string(b);
  if (fit.points < 2) {
    p.verdict = Verdict::outside_regime;
    p.note = what + ": fewer than two bracketed batch sizes in the range where the claim applies";
    return p;
  }
  const std::string regime = majority_regime(s, use);
  p.note = what + ": slope " + format_number(fit.slope, 3) + " +- " + format_number(fit.slope_se, 2) + " over B = {" + Bs +
           "} (claim " + format_number(claim, 3) + ", bias budget " + format_number(budget, 3) + ", |z| <= 4; spectrum-predicted slope " +
           format_number(pfit.slope, 3) + "; top eigenvalue there: " + regime + ")";
  if (regime == "edge") {
    p.verdict = Verdict::outside_regime;
    p.note += "; outside its regime: the measured top eigenvalue of H_B is the bulk edge, not an outlier (THEORY.md 3)";
    return p;
  }
  if (!extra_regime_failure.empty()) {
    p.verdict = Verdict::outside_regime;
    p.note += "; outside its regime: " + extra_regime_failure;
    return p;
  }
  const auto zt = z_test(claim, fit.slope, std::max(fit.slope_se, 1e-12), budget);
  p.z = zt.z;
  p.verdict = zt.passed ? Verdict::agrees : Verdict::disagrees;
  return p;
}

Verdict combine(const std::vector<Verdict>& parts) {
  bool any_agree = false, any_outside = false;
  for (auto v : parts) {
    if (v == Verdict::disagrees) return Verdict::disagrees;
    if (v == Verdict::agrees) any_agree = true;
    if (v == Verdict::outside_regime) any_outside = true;
  }
  if (any_outside) return Verdict::outside_regime;
  return any_agree ? Verdict::agrees : Verdict::not_measured;
}

}  // namespace

ClaimResult claim_sgd_scaling(const Config& c, std::uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  ClaimResult r;
  r.id = "C6";
  r.name = "SGD stability limit ~ B in the noise-dominated regime, saturating at large B (measured lr-sweep)";
  ClaimData d;
  if (!load_or_explain(r, d, c, "c6", seed, "linear", 4096, 0)) return r;
  LrSweepRequest rq = sweep_request(c, "c6", d, seed);
  rq.trial.optimizer = "sgd";
  rq.trial.momentum = c.number("c6.momentum", 0.0);
  const auto s = run_lr_sweep(rq, nullptr);
  put_sweep(r, s, "");
  const double ratio = c.number("c6.noise_dominated_ratio", 2.0);
  const double sat_ratio = c.number("c6.saturated_ratio", 1.25);
  const double budget = c.number("c6.exponent_bias_budget", 0.25);
  const auto use = noise_dominated(s, ratio);
  std::vector<bool> sat;
  for (const auto& row : s.rows) sat.push_back(std::isfinite(row.top_mean) && row.top_mean <= sat_ratio * s.lambda_full);
  const auto lin = scaling_part(s, use, 1.0, budget, "noise-dominated range (lambda'_1 >= " + format_number(ratio) + " lambda_1)", "");
  std::vector<Verdict> parts{lin.verdict};
  std::string note = lin.note;
  const auto sat_fit = fit_lr_scaling(s.rows, sat);
  if (sat_fit.points >= 2) {
    const auto sp = scaling_part(s, sat, 0.0, budget, "saturated range (lambda'_1 <= " + format_number(sat_ratio) + " lambda_1)", "");
    parts.push_back(sp.verdict);
    note += "; " + sp.note;
    r.scalars["saturated_slope"] = sp.slope;
    r.scalars["saturated_slope_se"] = sp.slope_se;
  } else {
    note += "; saturation not tested (fewer than two B with lambda'_1 <= " + format_number(sat_ratio) + " lambda_1)";
  }
  r.verdict = combine(parts);
  r.prediction = 1.0;
  r.measurement = lin.slope;
  r.stderr_ = lin.slope_se;
  r.z = lin.z;
  r.scalars["predicted_slope"] = lin.predicted_slope;
  std::vector<double> ratio_series;
  for (const auto& row : s.rows) ratio_series.push_back(row.lr_max / row.predicted);
  r.series["measured_over_predicted"] = ratio_series;
  r.note = d.description + "; SGD momentum " + format_number(rq.trial.momentum) + ", " + std::to_string(rq.trial.steps) +
           " steps, divergence factor " + format_number(rq.trial.divergence_factor) + ", " + std::to_string(rq.search.seeds) +
           " seeds; lambda_1 = " + format_number(s.lambda_full) + "; " + note;
  r.labels["model"] = d.description;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

ClaimResult claim_adam_scaling(const Config& c, std::uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  ClaimResult r;
  r.id = "C7";
  r.name = "Adam stability limit ~ B^(1/2) with small damping, ~ B with large damping (measured lr-sweep)";
  ClaimData d;
  if (!load_or_explain(r, d, c, "c7", seed, "linear", 4096, 0)) return r;
  const double ratio = c.number("c7.noise_dominated_ratio", 2.0);
  const double budget = c.number("c7.exponent_bias_budget", 0.2);
  const double noise_min = c.number("c7.noise_fraction_min", 0.9);
  std::vector<Verdict> parts;
  std::string note;
  const std::vector<std::pair<std::string, double>> cases{{"small_", c.number("c7.eps_small", 1e-8)},
                                                          {"large_", c.number("c7.eps_large", 1.0)}};
  for (const auto& [prefix, eps] : cases) {
    LrSweepRequest rq = sweep_request(c, "c7", d, seed);
    rq.trial.optimizer = "adam";
    rq.trial.eps = eps;
    rq.trial.beta1 = c.number("c7.beta1", 0.9);
    rq.trial.beta2 = c.number("c7.beta2", 0.999);
    rq.trial.adam_warmup = static_cast<int>(c.integer("c7.adam_warmup", 20));
    const auto s = run_lr_sweep(rq, nullptr);
    put_sweep(r, s, prefix);
    r.scalars[prefix + "eps"] = eps;
    const auto use = noise_dominated(s, ratio);
    std::string failure;
    const bool small = prefix == "small_";
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
      if (!use[i]) continue;
      const auto& row = s.rows[i];
      if (small && !(row.noise_fraction >= noise_min && row.damping_ratio <= 0.1))
        failure = "the second moment is not noise-dominated with small damping at B = " + std::to_string(row.B) +
                  " (noise fraction " + format_number(row.noise_fraction, 3) + " < " + format_number(noise_min) + " or eps/rms sqrt(v) = " +
                  format_number(row.damping_ratio, 3) + " > 0.1)";
      if (!small && !(row.damping_ratio >= 10.0))
        failure = "the damping does not dominate at B = " + std::to_string(row.B) + " (eps/rms sqrt(v) = " +
                  format_number(row.damping_ratio, 3) + " < 10)";
    }
    const auto p = scaling_part(s, use, small ? 0.5 : 1.0, budget,
                                std::string(small ? "small" : "large") + " damping eps = " + format_number(eps) +
                                    ", noise-dominated range (lambda'_1 >= " + format_number(ratio) + " lambda_1)",
                                failure);
    parts.push_back(p.verdict);
    note += (note.empty() ? "" : "; ") + p.note;
    r.scalars[prefix + "slope"] = p.slope;
    r.scalars[prefix + "slope_se"] = p.slope_se;
    r.scalars[prefix + "predicted_slope"] = p.predicted_slope;
    r.labels[prefix + "verdict"] = to_string(p.verdict);
    if (small) {
      r.prediction = 0.5;
      r.measurement = p.slope;
      r.stderr_ = p.slope_se;
      r.z = p.z;
    }
  }
  r.verdict = combine(parts);
  r.note = d.description + "; Adam betas (" + format_number(c.number("c7.beta1", 0.9)) + ", " + format_number(c.number("c7.beta2", 0.999)) +
           "), moments warmed over " + std::to_string(c.integer("c7.adam_warmup", 20)) + " batches at lr 0; " + note;
  r.labels["model"] = d.description;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

#else

ClaimResult claim_sgd_scaling(const Config&, std::uint64_t) {
  return not_measured("C6", "SGD stability limit ~ B (measured lr-sweep)",
                      "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to train");
}
ClaimResult claim_adam_scaling(const Config&, std::uint64_t) {
  return not_measured("C7", "Adam stability limit ~ B^(1/2) small damping, ~ B large damping (measured lr-sweep)",
                      "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to train");
}

#endif

}  // namespace batchrmt::verify
