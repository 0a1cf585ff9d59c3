// The starting point of C6 and C7: a checkpoint measured by a C5 case ([c6] start = "<case>"),
// with its lambda, V_phi and batch tops, and the batch sizes of the claim among the case's.
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

struct LrStart {
  NetworkCase checkpoint;                   // the last measured epoch of the case
  std::vector<std::int64_t> batch_sizes;    // the claim's
  std::vector<const networks::BatchRow*> rows;  // the case's row of each
};

// False, with `r` turned into "not measured" and the reason, when the case's data are absent.
bool load_lr_start(ClaimResult& r, const Config& c, const std::string& sec, std::uint64_t seed, LrStart& start);

// The grid request of section `sec` (grid, seeds, trial steps and monitor) from the start.
GridSweepRequest grid_request(const Config& c, const std::string& sec, const LrStart& start, std::uint64_t seed);

// The judgement options of section `sec` shared by C6 and C7 (factors, budgets, regimes).
LrJudgeOptions judge_options(const Config& c, const std::string& sec, int steps, double claim_slope, double null_slope);

// The work file of section `sec` (empty without run.work_dir).
std::string lr_work_file(const Config& c, const std::string& name);

// One line on the starting point for the notes.
std::string describe_start(const LrStart& s);

}  // namespace batchrmt::verify
#endif
