// Stability trials of a network on a fixed log grid per batch size (verify/lr_grid.hpp gives lr_max
// per divergence factor from them). The grid of batch size B is center_B * ratio^j for integer j,
// with `points` rates around the center (the batch-spectrum prediction) and up to `extend` more on
// either side when the limit lies outside. Per seed the walk is:
//   1. from the rate `start_below` steps under the center (at most the base grid's lowest)
//      downwards while a rate is unstable for the smallest factor;
//   2. then upwards from the next untried rate until one is unstable for the largest factor.
// Every rate from the first one up to the first unstable one of every factor is thus tried (rates
// further below a stable rate are taken to be stable), and no rate above the
// largest factor's limit is. Trials stop early once the loss passes the largest factor (its
// loss_max_ratio is then >= that factor: unstable for every factor).
// With `work_file`, every B is a unit (/B=<B>: j, lr, seed, loss_max_ratio, steps, reason) of a
// resumable store: an interrupted claim loses at most the batch size in flight.
#pragma once

#ifdef BATCHRMT_WITH_TORCH
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "networks/datasets.hpp"
#include "networks/lr_sweep.hpp"
#include "networks/models.hpp"
#include "verify/lr_grid.hpp"

namespace batchrmt::verify {

struct GridSweepRequest {
  networks::Model model;  // the starting point (not modified)
  networks::Dataset train;
  networks::Transform transform;
  networks::LrTrialOptions trial;  // batch_size and divergence_factor are set per call
  std::vector<std::int64_t> batch_sizes;
  std::vector<double> centers;  // per batch size: the grid center (> 0)
  double ratio = 1.4142135623730951;
  int points = 9;  // odd: the center is a grid rate
  int extend = 4;  // extra rates allowed below and above the base grid
  int start_below = 2;  // the walk's first rate: center / ratio^start_below
  int seeds = 3;
  std::uint64_t first_seed = 0;
  std::vector<double> factors{1.5, 2.0, 4.0};
  std::string work_file;  // empty: nothing kept
  std::uint64_t provenance_seed = 0;
  std::function<void(const std::string&)> log;
};

struct GridSweepRow {
  std::int64_t B = 0;
  double center = 0;
  std::vector<double> grid;          // the rates of the tried range, ascending
  std::vector<GridTrial> trials;     // in the order run
  std::vector<std::string> reasons;  // per trial: why it stopped early ("" when it ran all steps)
  std::vector<FactorLimit> limits;   // per factor
  double seconds = 0;
};

std::vector<GridSweepRow> run_grid_sweep(const GridSweepRequest& request);

}  // namespace batchrmt::verify
#endif
