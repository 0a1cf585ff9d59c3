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
#include "core/unit_runner.hpp"
#include "outputs/record.hpp"
#include "outputs/store.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

namespace {

std::string unit_name(std::int64_t B) { return "/B=" + std::to_string(B); }

// A batch size's trials in the order run, with their grid index j and why each stopped early.
struct SweptBatch {
  GridSweepRow row;
  std::vector<int> js;
};

// One trial as a row of the unit /B=<B>: datasets j, lr, seed, loss_max_ratio, steps, reason.
struct TrialRow {
  std::int64_t j = 0;
  GridTrial trial;
  std::string reason;
};

const RecordFields<TrialRow>& trial_fields() {
  static const auto t = RecordFields<TrialRow>()
                            .dataset("j", &TrialRow::j)
                            .nested("", &TrialRow::trial,
                                    RecordFields<GridTrial>()
                                        .datasets(BATCHRMT_MEMBERS(GridTrial, lr, seed, loss_max_ratio, steps)))
                            .dataset("reason", &TrialRow::reason);
  return t;
}

const RecordFields<GridSweepRow>& row_fields() {
  static const auto t = RecordFields<GridSweepRow>().attribute("center", &GridSweepRow::center).attribute("seconds", &GridSweepRow::seconds);
  return t;
}

void save_row(outputs::Store& store, const SweptBatch& b) {
  std::vector<TrialRow> trials;
  for (std::size_t i = 0; i < b.row.trials.size(); ++i) trials.push_back({b.js[i], b.row.trials[i], b.row.reasons[i]});
  const outputs::Group g = store.begin_unit(unit_name(b.row.B));
  outputs::write_table(g, trials, trial_fields());
  outputs::write_record(g, b.row, row_fields());
  store.complete_unit(g);
}

std::optional<SweptBatch> load_row(const outputs::Store& store, std::int64_t B, double center) {
  if (!store.is_complete(unit_name(B))) return std::nullopt;
  const outputs::Group g = store.root().group(unit_name(B).substr(1));
  SweptBatch b;
  b.row = outputs::read_record(g, row_fields());
  if (std::abs(b.row.center - center) > 1e-12 * std::abs(center))
    throw InvalidInput("the work file " + store.final_path() + " holds B=" + std::to_string(B) + " trials on a grid centred at " +
                       format_number(b.row.center, 10) + ", but this run centres it at " + format_number(center, 10) +
                       "; remove the work folder (or rerun with --overwrite) to start afresh.");
  b.row.B = B;
  b.row.center = center;
  for (const auto& t : outputs::read_table(g, trial_fields())) {
    b.row.trials.push_back(t.trial);
    b.row.reasons.push_back(t.reason);
    b.js.push_back(static_cast<int>(t.j));
  }
  return b;
}

SweptBatch sweep_one(const GridSweepRequest& rq, std::int64_t B, double center) {
  const auto t0 = std::chrono::steady_clock::now();
  const double fmin = *std::min_element(rq.factors.begin(), rq.factors.end());
  const double fmax = *std::max_element(rq.factors.begin(), rq.factors.end());
  networks::LrTrialOptions o = rq.trial;
  o.batch_size = B;
  o.divergence_factor = fmax;
  const networks::LrTrialRunner runner(rq.model, rq.train, rq.transform, o);
  const int half = (rq.points - 1) / 2;
  const int lowest = -half - rq.extend, highest = half + rq.extend;
  SweptBatch b;
  GridSweepRow& row = b.row;
  std::vector<int>& js = b.js;
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
  return b;
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
  auto center_of = [&](std::size_t i) {
    const double center = rq.centers[i];
    if (!(std::isfinite(center) && center > 0))
      throw NumericalFailure("lr grid: the grid centre for B=" + std::to_string(rq.batch_sizes[i]) + " is " + format_number(center) +
                             ", not a positive rate.");
    return center;
  };
  UnitSteps<SweptBatch> steps;  // one unit per batch size (core/unit_runner.hpp)
  steps.load = [&](std::size_t i) {
    const double center = center_of(i);
    return store ? load_row(*store, rq.batch_sizes[i], center) : std::nullopt;
  };
  steps.compute = [&](std::size_t i) { return sweep_one(rq, rq.batch_sizes[i], center_of(i)); };
  steps.save = [&](std::size_t, const SweptBatch& b) {
    if (store) save_row(*store, b);
  };
  std::vector<GridSweepRow> rows;
  for (auto& swept : run_units(rq.batch_sizes.size(), steps)) {
    GridSweepRow& row = swept->row;
    const auto& js = swept->js;
    const int jmin = *std::min_element(js.begin(), js.end()), jmax = *std::max_element(js.begin(), js.end());
    for (int j = jmin; j <= std::max(jmax, jmin + 1); ++j) row.grid.push_back(row.center * std::pow(rq.ratio, j));
    for (double f : rq.factors) row.limits.push_back(limit_for_factor(row.trials, row.grid, f));
    rows.push_back(std::move(row));
  }
  if (store) store->commit();
  return rows;
}

}  // namespace batchrmt::verify
#endif
