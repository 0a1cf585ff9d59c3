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
#include "theory/learning_rates.hpp"
#include "verify/lr_claim_start.hpp"
#endif

namespace batchrmt::verify {

namespace {
const char* const kName = "SGD largest stable learning rate vs B: 2(1+rho)/lambda'_1(B) per B, ~ B where noise dominates";
}

#ifndef BATCHRMT_WITH_TORCH

ClaimResult claim_sgd_scaling(const Config&, std::uint64_t) { return without_libtorch("C6", kName, "train"); }

#else

namespace {

// C6's options, read once from the [c6] table.
struct C6Options {
  LrClaimOptions grid;
  double momentum = 0.0;  // rho of the heavy-ball rule and of the trials
  BatchRuleProtocolOptions protocol;

  static C6Options from(const Config& c) {
    C6Options o;
    o.grid = LrClaimOptions::from(c, "c6");
    o.momentum = c.number("c6.momentum", o.momentum);
    o.protocol = BatchRuleProtocolOptions::from(c, "c6", networks::Optimizer::sgd);
    return o;
  }
};

// Per B: the measured limits on the grid centred on the paper's formula 2(1+rho)/lambda'_1(B),
// with the mean-square form and the no-batch-effect value beside it.
std::vector<LrPoint> sweep_sgd(const C6Options& o, const LrStart& start, const GridSweepRequest& rq_in,
                               std::vector<GridSweepRow>& rows) {
  GridSweepRequest rq = rq_in;
  const double rho = o.momentum, lambda = start.checkpoint.spectrum.lambda_full;
  std::vector<LrPoint> pts(start.rows.size());
  for (std::size_t i = 0; i < start.rows.size(); ++i) {
    const auto& row = *start.rows[i];
    LrPoint& p = pts[i];
    const double ms_top = start_point(start, i, p);
    p.predicted = theory::heavy_ball_max_lr(row.top_mean, rho);
    p.predicted_ln_se = std::isfinite(row.top_se) ? row.top_se / row.top_mean : 0.0;
    p.mean_square = theory::heavy_ball_max_lr(ms_top, rho);
    p.null_value = theory::heavy_ball_max_lr(lambda, rho);
    rq.centers.push_back(p.predicted);
  }
  rows = run_grid_sweep(rq);
  for (std::size_t i = 0; i < rows.size(); ++i) pts[i].limits = rows[i].limits;
  return pts;
}

// Headline: the scaling law where it is judged; else the per-B formula at the smallest judged B.
void set_headline(ClaimResult& r, const std::vector<LrPoint>& pts, const LrJudgement& j, const LrJudgeOptions& o) {
  if (j.scaling != Verdict::outside_regime) {
    put_scaling_headline(r, j, o);
    r.labels["headline"] = "scaling slope over q_B >= " + format_number(o.q_asymptotic);
    return;
  }
  for (std::size_t i = 0; i < pts.size(); ++i)
    if (std::isfinite(j.rows[i].z)) {
      r.prediction = pts[i].predicted;
      r.measurement = pts[i].limits[factor_index(o, o.reference_factor)].lr_max;
      r.stderr_ = j.rows[i].se * r.measurement;  // se of ln lr, in units of lr
      r.z = j.rows[i].z;
      r.labels["headline"] = "per-B formula at B=" + std::to_string(pts[i].B) + " (z in ln lr)";
      return;
    }
}

}  // namespace

ClaimResult claim_sgd_scaling(const Config& c, std::uint64_t seed) {
  const auto t0 = Clock::now();
  const C6Options o = C6Options::from(c);
  ClaimResult r = named_claim("C6", kName);
  LrStart start;
  if (!load_lr_start(r, c, o.grid, seed, start)) return r;
  GridSweepRequest rq = grid_request(o.grid, start, seed);
  rq.trial.optimizer = networks::Optimizer::sgd;
  rq.trial.momentum = o.momentum;
  rq.work_file = lr_work_file(c, "c6-" + start.checkpoint.label);
  std::vector<GridSweepRow> rows;
  const std::vector<LrPoint> pts = sweep_sgd(o, start, rq, rows);
  const LrJudgeOptions jo = judge_options(o.grid, 1.0, 0.5);
  const LrJudgement j = judge_learning_rates(pts, jo);
  put_learning_rates(r, "", pts, j, jo);
  put_grid_trials(r, "", rows, true);
  r.scalars["lambda_full"] = start.checkpoint.spectrum.lambda_full;
  r.scalars["v_phi"] = start.checkpoint.spectrum.noise_top->v_phi;
  r.scalars["momentum"] = o.momentum;
  r.labels["start"] = describe_start(start);
  if (!rq.work_file.empty()) r.labels["trials_file"] = rq.work_file;
  std::string protocol_note;
  const Verdict protocol = run_batch_rule_protocol(r, c, o.protocol, seed, protocol_note);
  r.labels["part_c_verdict"] = to_string(protocol);
  r.verdict = combine_parts({j.per_b, j.scaling, protocol});
  set_headline(r, pts, j, jo);
  r.note = "start: " + describe_start(start) + "; SGD momentum " + format_number(o.momentum) + ", " + std::to_string(rq.trial.steps) +
           " steps, " + std::to_string(rq.seeds) + " seeds, grid ratio " + format_number(rq.ratio, 3) + " x " + std::to_string(rq.points) +
           " rates centred on the prediction, divergence factors 1.5/2/4 from the stored loss ratios. (a) " + to_string(j.per_b) + ": " +
           j.per_b_note + ". (b) " + to_string(j.scaling) + ": " + j.scaling_note + ". (c) " + to_string(protocol) + ": " + protocol_note +
           ". Verdict: disagrees > inconclusive > agrees > outside its regime over (a), (b), (c).";
  r.seconds = seconds_since(t0);
  return r;
}

#endif  // BATCHRMT_WITH_TORCH

}  // namespace batchrmt::verify
