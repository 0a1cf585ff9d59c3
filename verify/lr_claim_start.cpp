#include "verify/lr_claim_start.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include <filesystem>

#include "core/errors.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

bool load_lr_start(ClaimResult& r, const Config& c, const std::string& sec, std::uint64_t seed, LrStart& start) {
  const std::string name = c.text(sec + ".start", "lenet_trained");
  const CaseRun run = measure_network_case(c, name, seed, CaseAccess::read_existing);
  if (!run.absent.empty() || run.checkpoints.empty()) {
    r = not_measured(r.id, r.name, "the starting point is not available: " + (run.absent.empty() ? name + " measured nothing" : run.absent));
    return false;
  }
  start.checkpoint = run.checkpoints.back();
  start.batch_sizes = c.integers(sec + ".batch_sizes", {1, 2, 4, 8, 16, 32, 64, 128});
  for (const auto B : start.batch_sizes) {
    const networks::BatchRow* found = nullptr;
    for (const auto& row : start.checkpoint.spectrum.rows)
      if (!row.full && row.B == B) found = &row;
    if (!found)
      throw InvalidInput(c.source() + ": " + sec + ".batch_sizes holds " + std::to_string(B) + ", but the start case '" + name +
                         "' measures no such batch size; every B must be among c5." + name + ".batch_sizes.");
    start.rows.push_back(found);
  }
  if (!start.checkpoint.spectrum.noise_top)
    throw InvalidInput(c.source() + ": the start case '" + name + "' measures no per-sample noise (noise_samples = 0), which " + sec +
                       "'s mean-square prediction needs.");
  return true;
}

GridSweepRequest grid_request(const Config& c, const std::string& sec, const LrStart& start, std::uint64_t seed) {
  GridSweepRequest rq;
  rq.model = start.checkpoint.model;
  rq.train = start.checkpoint.data.train;
  rq.transform = start.checkpoint.data.test_transform;
  rq.batch_sizes = start.batch_sizes;
  rq.trial.steps = static_cast<int>(c.integer(sec + ".steps", 50));
  rq.trial.monitor_size = static_cast<std::size_t>(c.integer(sec + ".monitor_size", 512));
  rq.trial.monitor_every = static_cast<int>(c.integer(sec + ".monitor_every", 10));
  rq.trial.monitor_seed = seed;
  rq.ratio = c.number(sec + ".grid_ratio", 1.4142135623730951);
  rq.points = static_cast<int>(c.integer(sec + ".grid_points", 9));
  rq.extend = static_cast<int>(c.integer(sec + ".grid_extend", 4));
  rq.start_below = static_cast<int>(c.integer(sec + ".grid_start_below", 2));
  rq.seeds = static_cast<int>(c.integer(sec + ".seeds", 2));
  rq.first_seed = seed;
  rq.factors = c.numbers(sec + ".divergence_factors", {1.5, 2.0, 4.0});
  rq.provenance_seed = seed;
  if (rq.ratio <= 1) throw InvalidInput(c.source() + ": " + sec + ".grid_ratio is " + format_number(rq.ratio) + ", but must exceed 1.");
  if (rq.seeds < 1) throw InvalidInput(c.source() + ": " + sec + ".seeds is " + std::to_string(rq.seeds) + ", but must be at least 1.");
  const double span = std::pow(rq.ratio, rq.points - 1);
  if (span < 16 * (1 - 1e-12) || rq.points < 8)
    throw InvalidInput(c.source() + ": " + sec + ".grid_points " + std::to_string(rq.points) + " with grid_ratio " + format_number(rq.ratio) +
                       " spans " + format_number(span, 3) + "x, but the grid must hold at least 8 rates spanning at least 16x.");
  return rq;
}

LrJudgeOptions judge_options(const Config& c, const std::string& sec, int steps, double claim_slope, double null_slope) {
  LrJudgeOptions o;
  o.factors = c.numbers(sec + ".divergence_factors", {1.5, 2.0, 4.0});
  o.reference_factor = c.number(sec + ".reference_factor", 2.0);
  // The finite-step bias of the reference rule with a loss fraction 1e-6 along the top direction
  // (verify/lr_grid.hpp): e.g. ln 1.078 = 0.075 at factor 2 and 50 steps.
  o.ln_budget = finite_step_budget(o.reference_factor, steps, c.number(sec + ".top_loss_fraction", 1e-6));
  o.claim_slope = claim_slope;
  o.null_slope = null_slope;
  o.slope_budget = c.number(sec + ".exponent_bias_budget", 0.1);
  o.q_asymptotic = c.number(sec + ".q_asymptotic", 4.0);
  o.nd_ratio = c.number(sec + ".noise_dominated_ratio", 2.0);
  return o;
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

}  // namespace batchrmt::verify
#endif
