// The lr-sweep with its units (lr_limit_sweep.hpp; docs/theory.md §2.7, §3).
#include "verify/lr_limit_sweep.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "core/errors.hpp"
#include "core/unit_runner.hpp"
#include "outputs/record.hpp"
#include "outputs/store.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

namespace {

namespace nw = batchrmt::networks;
using Log = std::function<void(const std::string&)>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- /<group>/spectrum: attributes, one entry per B, and per-subset matrices (B x subsets).

const RecordFields<nw::LrSpectrum>& spectrum_fields() {
  using S = nw::LrSpectrum;
  static const auto t = RecordFields<S>()
                            .attributes(BATCHRMT_MEMBERS(S, lambda_full, lambda_full_residual, second_full, N, P,
                                                         grad_mean_sq, grad_var, gradient_samples, seconds));
  return t;
}

const RecordFields<nw::LrSpectrumRow>& spectrum_row_fields() {
  using R = nw::LrSpectrumRow;
  static const auto t = RecordFields<R>()
                            .datasets(BATCHRMT_MEMBERS(R, B, kappa, top_mean, top_se, second_mean, overlap_mean, regime));
  return t;
}

// The preconditioned operator's entries (Adam only).
const RecordFields<nw::LrSpectrumRow>& preconditioned_row_fields() {
  using R = nw::LrSpectrumRow;
  static const auto t = RecordFields<R>()
                            .datasets(BATCHRMT_MEMBERS(R, pre_top_mean, pre_top_se, noise_fraction, damping_ratio));
  return t;
}

using PerSubset = std::vector<double> nw::LrSpectrumRow::*;

// rows x subsets (the first row's count).
Eigen::MatrixXd per_subset_matrix(const std::vector<nw::LrSpectrumRow>& rows, PerSubset field) {
  const auto R = static_cast<Eigen::Index>(rows.size());
  const Eigen::Index K = R ? static_cast<Eigen::Index>(rows[0].top.size()) : 0;
  Eigen::MatrixXd m(R, K);
  for (Eigen::Index i = 0; i < R; ++i)
    for (Eigen::Index k = 0; k < K; ++k) m(i, k) = (rows[static_cast<std::size_t>(i)].*field)[static_cast<std::size_t>(k)];
  return m;
}

void set_per_subset(std::vector<nw::LrSpectrumRow>& rows, const Eigen::MatrixXd& m, PerSubset field) {
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (Eigen::Index k = 0; k < m.cols(); ++k) (rows[i].*field).push_back(m(static_cast<Eigen::Index>(i), k));
}

void save_spectrum(outputs::Store& store, const std::string& unit, const nw::LrSpectrum& s, bool pre) {
  const outputs::Group g = store.begin_unit(unit);
  outputs::write_record(g, s, spectrum_fields());
  for (const auto& [k, v] : s.conventions) g.set_attribute(k, v);
  outputs::write_table(g, s.rows, spectrum_row_fields());
  g.write("top", per_subset_matrix(s.rows, &nw::LrSpectrumRow::top));
  g.write("second", per_subset_matrix(s.rows, &nw::LrSpectrumRow::second));
  g.write("top_residual", per_subset_matrix(s.rows, &nw::LrSpectrumRow::residual));
  g.write("overlap", per_subset_matrix(s.rows, &nw::LrSpectrumRow::overlap));
  if (pre) {
    outputs::write_table(g, s.rows, preconditioned_row_fields());
    g.write("pre_top", per_subset_matrix(s.rows, &nw::LrSpectrumRow::pre_top));
  }
  store.complete_unit(g);
}

// The spectrum as the sweep uses it: the per-B entries with the tops and overlaps per subset.
std::optional<nw::LrSpectrum> load_spectrum(const outputs::Store& store, const std::string& unit) {
  if (!store.is_complete(unit)) return std::nullopt;
  const outputs::Group g = store.root().group(unit.substr(1));
  nw::LrSpectrum s = outputs::read_record(g, spectrum_fields());
  s.rows = outputs::read_table(g, spectrum_row_fields());
  if (g.has("pre_top_mean")) {
    const auto pre = outputs::read_table(g, preconditioned_row_fields());
    for (std::size_t i = 0; i < s.rows.size() && i < pre.size(); ++i) {
      s.rows[i].pre_top_mean = pre[i].pre_top_mean;
      s.rows[i].pre_top_se = pre[i].pre_top_se;
      s.rows[i].noise_fraction = pre[i].noise_fraction;
      s.rows[i].damping_ratio = pre[i].damping_ratio;
    }
  }
  set_per_subset(s.rows, g.read_matrix("top"), &nw::LrSpectrumRow::top);
  set_per_subset(s.rows, g.read_matrix("overlap"), &nw::LrSpectrumRow::overlap);
  return s;
}

// ---- /<group>/B=<B>: the search's trials (one entry each) and its result.

struct TrialRow {
  StabilityTrial trial;
  std::string reason;
};

const RecordFields<TrialRow>& trial_fields() {
  using T = StabilityTrial;
  static const auto t = RecordFields<TrialRow>()
                            .nested("", &TrialRow::trial,
                                    RecordFields<T>()
                                        .datasets(BATCHRMT_MEMBERS(T, lr, seed, diverged, loss_start, loss_end,
                                                                   loss_max_ratio, steps)))
                            .dataset("reason", &TrialRow::reason);
  return t;
}

// The unit of one batch size: the search's result, the rate it started from (written, not read
// back) and how long it took.
struct LimitUnit {
  std::int64_t B = 0;
  double lr_start = 0, seconds = 0;
  StabilityLimit limit;
  std::vector<std::string> reasons;  // per trial
};

const RecordFields<LimitUnit>& limit_fields() {
  using L = StabilityLimit;
  static const auto t = RecordFields<LimitUnit>()
                            .attributes(BATCHRMT_MEMBERS(LimitUnit, B, lr_start, seconds))
                            .nested("", &LimitUnit::limit,
                                    RecordFields<L>()
                                        .attributes(BATCHRMT_MEMBERS(L, lr_lo, lr_hi, lr_max, bracketed))
                                        .attribute("search_status", &L::status));
  return t;
}

std::string limit_unit(const LrSweepRequest& rq, std::int64_t B) { return "/" + rq.group + "/B=" + std::to_string(B); }

void save_limit(outputs::Store& store, const std::string& unit, const LimitUnit& u) {
  std::vector<TrialRow> trials;
  for (std::size_t i = 0; i < u.limit.trials.size(); ++i) trials.push_back({u.limit.trials[i], u.reasons[i]});
  const outputs::Group g = store.begin_unit(unit);
  outputs::write_table(g, trials, trial_fields());
  outputs::write_record(g, u, limit_fields());
  store.complete_unit(g);
}

std::optional<LimitUnit> load_limit(const outputs::Store& store, const std::string& unit) {
  if (!store.is_complete(unit)) return std::nullopt;
  const outputs::Group g = store.root().group(unit.substr(1));
  LimitUnit u = outputs::read_record(g, limit_fields());
  for (auto& t : outputs::read_table(g, trial_fields())) {
    u.limit.trials.push_back(t.trial);
    u.reasons.push_back(std::move(t.reason));
  }
  return u;
}

// ---- the sweep

// The sweep's group attributes: optimizer, trial options, divergence and search rules.
void describe_sweep(outputs::Store& store, const LrSweepRequest& rq, const std::string& rule) {
  const outputs::Group g = store.root().group(rq.group);
  g.set_attribute("optimizer", nw::to_string(rq.trial.optimizer));
  g.set_attribute("trial_options", rq.trial.serialize());
  g.set_attribute("divergence_rule", "diverged iff a batch loss is non-finite or the monitor loss is non-finite or > " +
                                         format_number(rq.trial.divergence_factor, 6) + " x its start");
  g.set_attribute("search", "growth " + format_number(rq.search.growth) + ", bisections " + std::to_string(rq.search.bisections) +
                                ", seeds " + std::to_string(rq.search.seeds) + " from " +
                                std::to_string(rq.search.first_seed) + ", range [" + format_number(rq.search.lr_min) + ", " +
                                format_number(rq.search.lr_max) + "]" + (rq.start_at_prediction ? ", start at the prediction" : ""));
  g.set_attribute("prediction_rule", rule);
  g.set_attribute("lr_se_rule", "se(ln lr_max) = ln(lr_hi/lr_lo)/2");
  for (const auto& [k, v] : rq.attributes) g.set_attribute(k, v);
}

// The batch spectrum at the starting point (read back when its unit is complete).
nw::LrSpectrum sweep_spectrum(const LrSweepRequest& rq, outputs::Store* store, const Log& log) {
  const bool adam = rq.trial.optimizer == nw::Optimizer::adam;
  const std::string unit = "/" + rq.group + "/spectrum";
  UnitSteps<nw::LrSpectrum> steps;  // core/unit_runner.hpp
  steps.load = [&](std::size_t) {
    auto s = store ? load_spectrum(*store, unit) : std::nullopt;
    if (s) log("resume: spectrum read back");
    return s;
  };
  steps.compute = [&](std::size_t) {
    nw::LrSpectrumOptions so = rq.spectrum;
    so.preconditioned = adam;
    so.eps = rq.trial.eps;
    if (!so.log) so.log = rq.log;
    return nw::measure_lr_spectrum(rq.model, rq.train, rq.transform, rq.batch_sizes, so);
  };
  steps.save = [&](std::size_t, const nw::LrSpectrum& s) {
    if (store) save_spectrum(*store, unit, s, adam);
  };
  nw::LrSpectrum spectrum = *run_units(1, steps).front();
  if (spectrum.rows.size() != rq.batch_sizes.size())
    throw InvalidInput("lr-sweep: the stored spectrum has other batch sizes; use a new --out file.");
  return spectrum;
}

// Row i before its search: the spectrum's entries at B and the prediction from them.
LrSweepRow predicted_row(const LrSweepRequest& rq, std::size_t i, const nw::LrSpectrum* spectrum) {
  const bool adam = rq.trial.optimizer == nw::Optimizer::adam;
  const std::int64_t B = rq.batch_sizes[i];
  LrSweepRow row;
  row.B = B;
  row.kappa = nw::finite_population_kappa(static_cast<std::int64_t>(rq.train.size()), B);
  row.predicted = row.top_mean = row.top_se = row.overlap = kNaN;
  row.pre_top_mean = row.pre_top_se = row.noise_fraction = row.damping_ratio = kNaN;
  if (!spectrum) return row;
  const auto& s = spectrum->rows[i];
  if (s.B != B) throw InvalidInput("lr-sweep: the stored spectrum has other batch sizes; use a new --out file.");
  row.top_mean = s.top_mean;
  row.top_se = s.top_se;
  row.overlap = s.overlap_mean;
  row.regime = s.regime;
  if (adam) {
    row.pre_top_mean = s.pre_top_mean;
    row.pre_top_se = s.pre_top_se;
    row.noise_fraction = s.noise_fraction;
    row.damping_ratio = s.damping_ratio;
  }
  row.predicted = predicted_max_lr(rq.trial.optimizer, rq.trial.momentum, rq.trial.beta1, adam ? s.pre_top_mean : s.top_mean);
  return row;
}

// The search's options at `row`: it starts at the prediction when asked and there is one.
StabilitySearchOptions search_at(const LrSweepRequest& rq, const LrSweepRow& row) {
  StabilitySearchOptions so = rq.search;
  if (rq.start_at_prediction && std::isfinite(row.predicted)) so.lr_start = std::clamp(row.predicted, so.lr_min, so.lr_max);
  return so;
}

// The measured stability limit at B, starting from the prediction in `row`.
LimitUnit search_limit(const LrSweepRequest& rq, const LrSweepRow& row) {
  const auto tb = std::chrono::steady_clock::now();
  nw::LrTrialOptions to = rq.trial;
  to.batch_size = row.B;
  const nw::LrTrialRunner runner(rq.model, rq.train, rq.transform, to);
  LimitUnit u;
  u.B = row.B;
  const StabilitySearchOptions so = search_at(rq, row);
  u.lr_start = so.lr_start;
  u.limit = find_stability_limit(
      [&](double lr, std::uint64_t seed) {
        const auto t = runner.run(lr, seed);
        u.reasons.push_back(t.reason);
        return StabilityTrial{t.lr, t.seed, t.diverged, t.loss_start, t.loss_end, t.loss_max_ratio, t.steps};
      },
      so);
  u.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tb).count();
  return u;
}

// One row per batch size: the prediction and the measured limit (one unit each).
std::vector<LrSweepRow> sweep_limits(const LrSweepRequest& rq, const nw::LrSpectrum* spectrum, outputs::Store* store, const Log& log) {
  std::vector<LrSweepRow> rows;
  for (std::size_t i = 0; i < rq.batch_sizes.size(); ++i) rows.push_back(predicted_row(rq, i, spectrum));
  UnitSteps<LimitUnit> steps;  // core/unit_runner.hpp
  steps.load = [&](std::size_t i) -> std::optional<LimitUnit> {
    auto u = store ? load_limit(*store, limit_unit(rq, rows[i].B)) : std::nullopt;
    if (u) log("resume: B = " + std::to_string(u->B) + " read back (" + std::to_string(u->limit.trials.size()) + " trials)");
    return u;
  };
  steps.compute = [&](std::size_t i) { return search_limit(rq, rows[i]); };
  steps.save = [&](std::size_t i, const LimitUnit& u) {
    if (store) save_limit(*store, limit_unit(rq, u.B), u);
    log("B = " + std::to_string(u.B) + ": lr_max " + format_number(u.limit.lr_max) + " in [" + format_number(u.limit.lr_lo) + ", " +
        format_number(u.limit.lr_hi) + "], predicted " + format_number(rows[i].predicted) + " (" +
        std::to_string(u.limit.trials.size()) + " trials, " + format_number(u.seconds, 3) + " s)");
  };
  const auto units = run_units(rows.size(), steps);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    static_cast<StabilityLimit&>(rows[i]) = units[i]->limit;
    rows[i].reasons = units[i]->reasons;
    rows[i].seconds = units[i]->seconds;
  }
  return rows;
}

// /<group>/summary: one row per B and the scaling fits.
void write_sweep_summary(outputs::Store& store, const LrSweepRequest& rq, const LrSweepResult& out) {
  const outputs::Group s = store.root().group(rq.group + "/summary");
  const auto& rows = out.rows;
  using Row = LrSweepRow;
  outputs::write_columns(s, rows,
                         BATCHRMT_MEMBERS(Row, B, bracketed, lr_max, lr_lo, lr_hi, predicted, top_mean, overlap, regime));
  s.set_attribute("fit_slope", out.fit.slope);
  s.set_attribute("fit_slope_se", out.fit.slope_se);
  s.set_attribute("fit_intercept", out.fit.intercept);
  s.set_attribute("fit_regime", out.fit.regime);
  s.set_attribute("predicted_slope", out.predicted_fit.slope);
  s.set_attribute("lambda_full", out.lambda_full);
  store.flush();
}

}  // namespace

LrSweepResult run_lr_sweep(const LrSweepRequest& rq, outputs::Store* store) {
  const auto t0 = std::chrono::steady_clock::now();
  const Log log = [&](const std::string& m) {
    if (rq.log) rq.log(m);
  };
  if (rq.batch_sizes.empty()) throw InvalidInput("lr-sweep: no batch sizes were given.");
  rq.trial.validate();
  LrSweepResult out;
  out.optimizer = rq.trial.optimizer;
  const bool adam = rq.trial.optimizer == nw::Optimizer::adam;
  out.rule = adam ? "2 (1 + beta1) / ((1 - beta1) lambda_max(D^1/2 H_B D^1/2)), D = 1/(sqrt(gbar^2 + kappa_B s^2) + eps) "
                    "[RECON, docs/theory.md 2.7; EMA momentum as heavy ball]"
                  : "2 (1 + momentum) / lambda'_1(B), lambda'_1(B) = mean top Ritz value of H_B over subsets "
                    "[STD stability, RECON application, docs/theory.md 2.7]";
  if (store) describe_sweep(*store, rq, out.rule);
  std::optional<nw::LrSpectrum> spectrum;
  if (rq.measure_spectrum) {
    spectrum = sweep_spectrum(rq, store, log);
    out.lambda_full = spectrum->lambda_full;
    out.N = spectrum->N;
    out.P = spectrum->P;
  } else {
    out.lambda_full = kNaN;
    out.N = static_cast<std::int64_t>(rq.train.size());
    out.P = rq.model.parameter_count();
  }
  out.rows = sweep_limits(rq, spectrum ? &*spectrum : nullptr, store, log);
  out.fit = fit_lr_scaling(out.rows, {});
  out.predicted_fit = fit_predicted_scaling(out.rows, {});
  if (store) write_sweep_summary(*store, rq, out);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace batchrmt::verify
#endif  // BATCHRMT_WITH_TORCH
