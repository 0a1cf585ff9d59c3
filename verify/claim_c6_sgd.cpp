// C6: SGD's largest stable learning rate against batch size, from the trained checkpoint shared
// with C5 (docs/learning-rates.md, "C6 and C7"). Per B two predictions, both from measured
// quantities: 2(1+rho)/lambda'_1(B) (the paper's formula, from the batch spectra) and the
// mean-square bound 2(1+rho)/(lambda + kappa_B V_phi/lambda) (Wu, Ma & E 2018, NeurIPS, "How SGD
// selects the global minima"); parts (a) per B and (b) scaling (verify/lr_claim_parts.hpp).
#include <chrono>
#include <cmath>

#include "core/errors.hpp"
#include "verify/batch_rule_protocol.hpp"
#include "verify/learning_rate_claims.hpp"
#include "verify/statistics.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "theory/batch_hessian.hpp"
#include "theory/learning_rates.hpp"
#include "verify/lr_claim_start.hpp"
#endif

namespace batchrmt::verify {

namespace {
const char* const kName = "SGD largest stable learning rate vs B: 2(1+rho)/lambda'_1(B) per B, ~ B where noise dominates";
}

#ifdef BATCHRMT_WITH_TORCH

ClaimResult claim_sgd_scaling(const Config& c, std::uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  ClaimResult r;
  r.id = "C6";
  r.name = kName;
  LrStart start;
  if (!load_lr_start(r, c, "c6", seed, start)) return r;
  const double rho = c.number("c6.momentum", 0.0);
  const auto& sp = start.checkpoint.spectrum;
  const auto& noise = *sp.noise_top;
  const double lambda = sp.lambda_full;
  GridSweepRequest rq = grid_request(c, "c6", start, seed);
  rq.trial.optimizer = networks::Optimizer::sgd;
  rq.trial.momentum = rho;
  rq.work_file = lr_work_file(c, "c6-" + start.checkpoint.label);
  std::vector<LrPoint> pts(start.rows.size());
  for (std::size_t i = 0; i < start.rows.size(); ++i) {
    const auto& row = *start.rows[i];
    LrPoint& p = pts[i];
    p.B = row.B;
    p.kappa = row.kappa;
    p.q = row.q;
    p.top_ratio = row.top_mean / lambda;
    p.predicted = theory::heavy_ball_max_lr(row.top_mean, rho);
    p.predicted_ln_se = std::isfinite(row.top_se) ? row.top_se / row.top_mean : 0.0;
    const double ms_top = theory::first_order_shift(lambda, row.kappa, noise.v_phi);
    p.mean_square = theory::heavy_ball_max_lr(ms_top, rho);
    p.mean_square_ln_se = row.kappa * noise.v_phi_se / lambda / ms_top;
    p.null_value = theory::heavy_ball_max_lr(lambda, rho);
    rq.centers.push_back(p.predicted);
  }
  const auto rows = run_grid_sweep(rq);
  for (std::size_t i = 0; i < rows.size(); ++i) pts[i].limits = rows[i].limits;
  const LrJudgeOptions o = judge_options(c, "c6", rq.trial.steps, 1.0, 0.5);
  const LrJudgement j = judge_learning_rates(pts, o);
  put_learning_rates(r, "", pts, j, o);
  std::vector<double> trial_B, trial_lr, trial_seed, trial_ratio, trial_steps;
  for (const auto& row : rows)
    for (const auto& t : row.trials) {
      trial_B.push_back(static_cast<double>(row.B));
      trial_lr.push_back(t.lr);
      trial_seed.push_back(static_cast<double>(t.seed));
      trial_ratio.push_back(t.loss_max_ratio);
      trial_steps.push_back(static_cast<double>(t.steps));
    }
  r.series["trial_B"] = trial_B;
  r.series["trial_lr"] = trial_lr;
  r.series["trial_seed"] = trial_seed;
  r.series["trial_loss_max_ratio"] = trial_ratio;
  r.series["trial_steps"] = trial_steps;
  r.scalars["lambda_full"] = lambda;
  r.scalars["v_phi"] = noise.v_phi;
  r.scalars["momentum"] = rho;
  r.labels["start"] = describe_start(start);
  if (!rq.work_file.empty()) r.labels["trials_file"] = rq.work_file;
  std::string protocol_note;
  const Verdict protocol = run_batch_rule_protocol(r, c, "c6", networks::Optimizer::sgd, seed, protocol_note);
  r.labels["part_c_verdict"] = to_string(protocol);
  r.verdict = combine_parts({j.per_b, j.scaling, protocol});
  // Headline: the scaling law where it is judged; else the per-B formula at the smallest B.
  if (j.scaling != Verdict::outside_regime) {
    const std::size_t ref = factor_index(o, o.reference_factor);
    r.prediction = o.claim_slope;
    r.measurement = j.asym_slopes[ref].slope;
    r.stderr_ = j.asym_slopes[ref].slope_se;
    r.z = j.scaling_z;
    r.labels["headline"] = "scaling slope over q_B >= " + format_number(o.q_asymptotic);
  } else {
    for (std::size_t i = 0; i < pts.size(); ++i)
      if (std::isfinite(j.rows[i].z)) {
        r.prediction = pts[i].predicted;
        r.measurement = pts[i].limits[factor_index(o, o.reference_factor)].lr_max;
        r.stderr_ = j.rows[i].se * r.measurement;  // se of ln lr, in units of lr
        r.z = j.rows[i].z;
        r.labels["headline"] = "per-B formula at B=" + std::to_string(pts[i].B) + " (z in ln lr)";
        break;
      }
  }
  r.note = "start: " + describe_start(start) + "; SGD momentum " + format_number(rho) + ", " + std::to_string(rq.trial.steps) + " steps, " +
           std::to_string(rq.seeds) + " seeds, grid ratio " + format_number(rq.ratio, 3) + " x " + std::to_string(rq.points) +
           " rates centred on the prediction, divergence factors 1.5/2/4 from the stored loss ratios. (a) " + to_string(j.per_b) + ": " +
           j.per_b_note + ". (b) " + to_string(j.scaling) + ": " + j.scaling_note + ". (c) " + to_string(protocol) + ": " + protocol_note +
           ". Verdict: disagrees > inconclusive > agrees > outside its regime over (a), (b), (c).";
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

#else

ClaimResult claim_sgd_scaling(const Config&, std::uint64_t) {
  return not_measured("C6", kName, "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to train");
}

#endif

}  // namespace batchrmt::verify
