#include "verify/lr_claim_start.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include <cmath>
#include <filesystem>

#include "core/errors.hpp"
#include "theory/batch_hessian.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

LrClaimOptions LrClaimOptions::from(const Config& c, const std::string& sec) {
  LrClaimOptions o;
  o.section = sec;
  const auto key = [&](const char* name) { return sec + "." + name; };
  o.start = c.text(key("start"), o.start);
  o.batch_sizes = c.integers(key("batch_sizes"), o.batch_sizes);
  GridSweepRequest& g = o.sweep;
  g.trial.steps = static_cast<int>(c.integer(key("steps"), 50));
  g.trial.monitor_size = static_cast<std::size_t>(c.integer(key("monitor_size"), 512));
  g.trial.monitor_every = static_cast<int>(c.integer(key("monitor_every"), 10));
  g.ratio = c.number(key("grid_ratio"), 1.4142135623730951);
  g.points = static_cast<int>(c.integer(key("grid_points"), 9));
  g.extend = static_cast<int>(c.integer(key("grid_extend"), 4));
  g.start_below = static_cast<int>(c.integer(key("grid_start_below"), 2));
  g.seeds = static_cast<int>(c.integer(key("seeds"), 2));
  g.factors = c.numbers(key("divergence_factors"), {1.5, 2.0, 4.0});
  o.reference_factor = c.number(key("reference_factor"), o.reference_factor);
  o.top_loss_fraction = c.number(key("top_loss_fraction"), o.top_loss_fraction);
  o.exponent_bias_budget = c.number(key("exponent_bias_budget"), o.exponent_bias_budget);
  o.q_asymptotic = c.number(key("q_asymptotic"), o.q_asymptotic);
  o.noise_dominated_ratio = c.number(key("noise_dominated_ratio"), o.noise_dominated_ratio);
  if (g.ratio <= 1) throw InvalidInput(c.source() + ": " + key("grid_ratio") + " is " + format_number(g.ratio) + ", but must exceed 1.");
  if (g.seeds < 1) throw InvalidInput(c.source() + ": " + key("seeds") + " is " + std::to_string(g.seeds) + ", but must be at least 1.");
  const double span = std::pow(g.ratio, g.points - 1);
  if (span < 16 * (1 - 1e-12) || g.points < 8)
    throw InvalidInput(c.source() + ": " + key("grid_points") + " " + std::to_string(g.points) + " with grid_ratio " +
                       format_number(g.ratio) + " spans " + format_number(span, 3) +
                       "x, but the grid must hold at least 8 rates spanning at least 16x.");
  return o;
}

bool load_lr_start(ClaimResult& r, const Config& c, const LrClaimOptions& o, std::uint64_t seed, LrStart& start) {
  const std::string& name = o.start;
  const CaseRun run = measure_network_case(c, name, seed, CaseAccess::read_existing);
  if (!run.absent.empty() || run.checkpoints.empty()) {
    r = not_measured(r.id, r.name, "the starting point is not available: " + (run.absent.empty() ? name + " measured nothing" : run.absent));
    return false;
  }
  start.checkpoint = run.checkpoints.back();
  start.batch_sizes = o.batch_sizes;
  for (const auto B : start.batch_sizes) {
    const networks::BatchRow* found = nullptr;
    for (const auto& row : start.checkpoint.spectrum.rows)
      if (!row.full && row.B == B) found = &row;
    if (!found)
      throw InvalidInput(c.source() + ": " + o.section + ".batch_sizes holds " + std::to_string(B) + ", but the start case '" + name +
                         "' measures no such batch size; every B must be among c5." + name + ".batch_sizes.");
    start.rows.push_back(found);
  }
  if (!start.checkpoint.spectrum.noise_top)
    throw InvalidInput(c.source() + ": the start case '" + name + "' measures no per-sample noise (noise_samples = 0), which " +
                       o.section + "'s mean-square prediction needs.");
  return true;
}

GridSweepRequest grid_request(const LrClaimOptions& o, const LrStart& start, std::uint64_t seed) {
  GridSweepRequest rq = o.sweep;
  rq.model = start.checkpoint.model;
  rq.train = start.checkpoint.data.train;
  rq.transform = start.checkpoint.data.test_transform;
  rq.batch_sizes = start.batch_sizes;
  rq.trial.monitor_seed = rq.first_seed = rq.provenance_seed = seed;
  return rq;
}

LrJudgeOptions judge_options(const LrClaimOptions& o, double claim_slope, double null_slope) {
  LrJudgeOptions j;
  j.factors = o.sweep.factors;
  j.reference_factor = o.reference_factor;
  // The finite-step bias of the reference rule with a loss fraction 1e-6 along the top direction
  // (verify/lr_grid.hpp): e.g. ln 1.078 = 0.075 at factor 2 and 50 steps.
  j.ln_budget = finite_step_budget(o.reference_factor, o.sweep.trial.steps, o.top_loss_fraction);
  j.claim_slope = claim_slope;
  j.null_slope = null_slope;
  j.slope_budget = o.exponent_bias_budget;
  j.q_asymptotic = o.q_asymptotic;
  j.nd_ratio = o.noise_dominated_ratio;
  return j;
}

std::string lr_work_file(const Config& c, const std::string& name) {
  const std::string work = c.text("run.work_dir", "");
  return work.empty() ? "" : (std::filesystem::path(work) / (name + ".h5")).string();
}

std::string describe_start(const LrStart& s) {
  const auto& sp = s.checkpoint.spectrum;
  return s.checkpoint.label + " (" + s.checkpoint.training + "), lambda_1 = " + format_number(sp.lambda_full) +
         (sp.noise_top ? ", V_phi = " + format_number(sp.noise_top->v_phi) + " +- " + format_number(sp.noise_top->v_phi_se, 2) : "");
}

double start_point(const LrStart& s, std::size_t i, LrPoint& p) {
  const auto& row = *s.rows[i];
  const double lambda = s.checkpoint.spectrum.lambda_full;
  const auto& noise = *s.checkpoint.spectrum.noise_top;
  p.B = row.B;
  p.kappa = row.kappa;
  p.q = row.q;
  p.top_ratio = row.top_mean / lambda;
  const double ms_top = theory::first_order_shift(lambda, row.kappa, noise.v_phi);
  p.mean_square_ln_se = row.kappa * noise.v_phi_se / lambda / ms_top;
  return ms_top;
}

void put_grid_trials(ClaimResult& r, const std::string& prefix, const std::vector<GridSweepRow>& rows, bool with_steps) {
  std::vector<double> B, lr, seed, ratio, steps;
  for (const auto& row : rows)
    for (const auto& t : row.trials) {
      B.push_back(static_cast<double>(row.B));
      lr.push_back(t.lr);
      seed.push_back(static_cast<double>(t.seed));
      ratio.push_back(t.loss_max_ratio);
      steps.push_back(static_cast<double>(t.steps));
    }
  r.series[prefix + "trial_B"] = B;
  r.series[prefix + "trial_lr"] = lr;
  r.series[prefix + "trial_seed"] = seed;
  r.series[prefix + "trial_loss_max_ratio"] = ratio;
  if (with_steps) r.series[prefix + "trial_steps"] = steps;
}

}  // namespace batchrmt::verify
#endif
