// The starting point of C6 and C7: a checkpoint measured by a C5 case ([c6] start = "<case>"),
// with its lambda, V_phi and batch tops, and the batch sizes of the claim among the case's; and
// the options of [c6] and [c7] that both claims read (keys in verify/config_keys_claims.cpp,
// defaults in docs/learning-rates.md).
#pragma once

#ifdef BATCHRMT_WITH_TORCH
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "verify/claims.hpp"
#include "verify/lr_claim_parts.hpp"
#include "verify/lr_grid_sweep.hpp"
#include "verify/network_case.hpp"

namespace batchrmt::verify {

// The shared keys of section [c6] or [c7], read and checked once.
struct LrClaimOptions {
  std::string section;                                   // "c6" | "c7"
  std::string start = "lenet_trained";                   // the C5 case to start from
  std::vector<std::int64_t> batch_sizes{1, 2, 4, 8, 16, 32, 64, 128};
  // The grid and its trials (keys grid_ratio, grid_points, grid_extend, grid_start_below, seeds,
  // divergence_factors, steps, monitor_size, monitor_every); the model, data, batch sizes, centres
  // and seeds come from the start (grid_request).
  GridSweepRequest sweep;
  double reference_factor = 2.0;
  double top_loss_fraction = 1e-6;     // of the loss along the top direction (finite-step budget)
  double exponent_bias_budget = 0.1;
  double q_asymptotic = 4.0;
  double noise_dominated_ratio = 2.0;

  // InvalidInput naming the key for a grid that is not at least 8 rates spanning 16x, a ratio
  // not above 1 or fewer than one seed.
  static LrClaimOptions from(const Config& c, const std::string& section);
};

struct LrStart {
  NetworkCase checkpoint;                   // the last measured epoch of the case
  std::vector<std::int64_t> batch_sizes;    // the claim's
  std::vector<const networks::BatchRow*> rows;  // the case's row of each
};

// False, with `r` turned into "not measured" and the reason, when the case's data are absent.
bool load_lr_start(ClaimResult& r, const Config& c, const LrClaimOptions& o, std::uint64_t seed, LrStart& start);

// The grid request (grid, seeds, trial steps and monitor) from the start.
GridSweepRequest grid_request(const LrClaimOptions& o, const LrStart& start, std::uint64_t seed);

// The judgement options (factors, budgets, regimes) against the law claim_slope, null null_slope.
LrJudgeOptions judge_options(const LrClaimOptions& o, double claim_slope, double null_slope);

// The work file `name`.h5 under run.work_dir (empty without it).
std::string lr_work_file(const Config& c, const std::string& name);

// One line on the starting point for the notes.
std::string describe_start(const LrStart& s);

// The point of B's start row before the optimizer's rule: B, kappa, q, lambda'_1(B)/lambda and the
// ln se of the mean-square form; returns its top lambda + kappa_B V_phi / lambda.
double start_point(const LrStart& s, std::size_t i, LrPoint& p);

// Every trial of the sweep under `prefix`: series trial_B, trial_lr, trial_seed,
// trial_loss_max_ratio, and trial_steps when with_steps.
void put_grid_trials(ClaimResult& r, const std::string& prefix, const std::vector<GridSweepRow>& rows, bool with_steps);

}  // namespace batchrmt::verify
#endif
