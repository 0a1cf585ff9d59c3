#include "verify/lr_grid_sweep.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include "core/errors.hpp"
#include "core/provenance.hpp"
#include "outputs/store.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

namespace {

std::string unit_name(std::int64_t B) { return "/B=" + std::to_string(B); }

void save_row(outputs::Store& store, const GridSweepRow& row, const std::vector<int>& js) {
  const outputs::Group g = store.begin_unit(unit_name(row.B));
  std::vector<double> lr, ratio;
  std::vector<std::int64_t> j, seed, steps;
  for (std::size_t i = 0; i < row.trials.size(); ++i) {
    lr.push_back(row.trials[i].lr);
    ratio.push_back(row.trials[i].loss_max_ratio);
    seed.push_back(static_cast<std::int64_t>(row.trials[i].seed));
    steps.push_back(row.trials[i].steps);
    j.push_back(js[i]);
  }
  g.write("j", j);
  g.write("lr", lr);
  g.write("seed", seed);
  g.write("loss_max_ratio", ratio);
  g.write("steps", steps);
  g.write("reason", row.reasons);
  g.set_attribute("center", row.center);
  g.set_attribute("seconds", row.seconds);
  store.complete_unit(g);
}

std::optional<GridSweepRow> load_row(outputs::Store& store, std::int64_t B, double center, std::vector<int>& js) {
  if (!store.is_complete(unit_name(B))) return std::nullopt;
  const outputs::Group g = store.root().group(unit_name(B).substr(1));
  GridSweepRow row;
  row.B = B;
  const auto c = g.attribute("center");
  const double stored = c ? std::get<double>(*c) : 0.0;
  if (std::abs(stored - center) > 1e-12 * std::abs(center))
    throw InvalidInput("the work file " + store.final_path() + " holds B=" + std::to_string(B) + " trials on a grid centred at " +
                       format_number(stored, 10) + ", but this run centres it at " + format_number(center, 10) +
                       "; remove the work folder (or rerun with --overwrite) to start afresh.");
  row.center = center;
  const Eigen::VectorXd lr = g.read_vector("lr"), ratio = g.read_vector("loss_max_ratio");
  const auto seed = g.read_int_vector("seed"), steps = g.read_int_vector("steps"), j = g.read_int_vector("j");
  row.reasons = g.read_strings("reason");
  for (Eigen::Index i = 0; i < lr.size(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    row.trials.push_back({lr[i], static_cast<std::uint64_t>(seed[k]), ratio[i], steps[k]});
    js.push_back(static_cast<int>(j[k]));
  }
  if (const auto s = g.attribute("seconds")) row.seconds = std::get<double>(*s);
  return row;
}

GridSweepRow sweep_one(const GridSweepRequest& rq, std::int64_t B, double center, std::vector<int>& js) {
  const auto t0 = std::chrono::steady_clock::now();
  const double fmin = *std::min_element(rq.factors.begin(), rq.factors.end());
  const double fmax = *std::max_element(rq.factors.begin(), rq.factors.end());
  networks::LrTrialOptions o = rq.trial;
  o.batch_size = B;
  o.divergence_factor = fmax;
  const networks::LrTrialRunner runner(rq.model, rq.train, rq.transform, o);
  const int half = (rq.points - 1) / 2;
  const int lowest = -half - rq.extend, highest = half + rq.extend;
  GridSweepRow row;
  row.B = B;
  row.center = center;
  auto rate = [&](int j) { return center * std::pow(rq.ratio, j); };
  for (int s = 0; s < rq.seeds; ++s) {
    const std::uint64_t seed = rq.first_seed + static_cast<std::uint64_t>(s);
    auto trial = [&](int j) {
      const auto r = runner.run(rate(j), seed);
      const double ratio = r.reason == "monitor loss non-finite" || r.reason == "non-finite batch loss"
                               ? std::numeric_limits<double>::infinity()
                               : r.loss_max_ratio;
      row.trials.push_back({rate(j), seed, ratio, r.steps});
      row.reasons.push_back(r.reason);
      js.push_back(j);
      return ratio;
    };
    const int first = std::max(-half, -rq.start_below);
    int j = first;
    const double base = trial(j);
    for (double r = base; !(r < fmin) && j > lowest;) r = trial(--j);  // 1. down while unstable for fmin
    if (base < fmax)                                                   // 2. up until unstable for fmax
      for (int k = first + 1; k <= highest; ++k)
        if (!(trial(k) < fmax)) break;
    if (rq.log) rq.log("B = " + std::to_string(B) + ", seed " + std::to_string(seed) + ": " + std::to_string(row.trials.size()) + " trials so far");
  }
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return row;
}

}  // namespace

std::vector<GridSweepRow> run_grid_sweep(const GridSweepRequest& rq) {
  if (rq.batch_sizes.size() != rq.centers.size())
    throw InvalidInput("lr grid: " + std::to_string(rq.centers.size()) + " grid centres for " + std::to_string(rq.batch_sizes.size()) +
                       " batch sizes; there must be one per batch size.");
  if (rq.points < 3 || rq.points % 2 == 0)
    throw InvalidInput("lr grid: points is " + std::to_string(rq.points) + ", but must be odd and at least 3.");
  if (rq.factors.empty()) throw InvalidInput("lr grid: the list of divergence factors is empty.");
  for (double f : rq.factors)
    if (!(f > 1)) throw InvalidInput("lr grid: divergence factor " + format_number(f) + " must exceed 1.");
  std::optional<outputs::Store> store;
  if (!rq.work_file.empty()) {
    std::filesystem::create_directories(std::filesystem::path(rq.work_file).parent_path());
    store.emplace(outputs::Store::open(rq.work_file, collect_provenance({"batchrmt", "reproduce", "(lr grid)"}, rq.provenance_seed, 1),
                                       outputs::OpenMode::resume));
  }
  std::vector<GridSweepRow> rows;
  for (std::size_t i = 0; i < rq.batch_sizes.size(); ++i) {
    const std::int64_t B = rq.batch_sizes[i];
    const double center = rq.centers[i];
    if (!(std::isfinite(center) && center > 0))
      throw NumericalFailure("lr grid: the grid centre for B=" + std::to_string(B) + " is " + format_number(center) + ", not a positive rate.");
    std::vector<int> js;
    std::optional<GridSweepRow> row;
    if (store) row = load_row(*store, B, center, js);
    if (!row) {
      row = sweep_one(rq, B, center, js);
      if (store) {
        save_row(*store, *row, js);
        store->flush();
      }
    }
    const int jmin = *std::min_element(js.begin(), js.end()), jmax = *std::max_element(js.begin(), js.end());
    for (int j = jmin; j <= std::max(jmax, jmin + 1); ++j) row->grid.push_back(center * std::pow(rq.ratio, j));
    for (double f : rq.factors) row->limits.push_back(limit_for_factor(row->trials, row->grid, f));
    rows.push_back(std::move(*row));
  }
  if (store) store->commit();
  return rows;
}

}  // namespace batchrmt::verify
#endif
