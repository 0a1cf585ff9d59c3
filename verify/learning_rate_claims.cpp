// Learning rates from curvature: the sweep with its store, the scaling fits and claims C6-C8
// (learning_rate_claims.hpp; docs/theory.md §2.7, §3, §6.4).
#include "verify/learning_rate_claims.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "core/rng.hpp"
#include "theory/learning_rates.hpp"
#include "theory/spectrum_learner.hpp"
#include "verify/statistics.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"
#include "outputs/store.hpp"
#endif

namespace batchrmt::verify {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double predicted_max_lr(networks::Optimizer optimizer, double momentum, double beta1, double lambda_top) {
  // docs/learning-rates.md, "Prediction": the rule covers sgd and adam (the sweep has no adamw).
  if (optimizer == networks::Optimizer::adamw)
    throw InvalidInput("the predicted learning-rate limit covers sgd and adam (docs/learning-rates.md), but optimizer is "
                       "adamw: decoupled weight decay is not part of the linearised rule.");
  if (!(std::isfinite(lambda_top) && lambda_top > 0)) return kNaN;
  if (optimizer == networks::Optimizer::adam) return theory::ema_momentum_max_lr(lambda_top, beta1);
  return theory::heavy_ball_max_lr(lambda_top, momentum);
}

namespace {
LrScalingFit fit_rows(const std::vector<LrSweepRow>& rows, const std::vector<bool>& use, bool predicted) {
  LrScalingFit f;
  std::vector<double> x, y, se;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (i < use.size() && !use[i]) continue;
    if (predicted) {
      if (!(std::isfinite(r.predicted) && r.predicted > 0)) continue;
      x.push_back(std::log(static_cast<double>(r.B)));
      y.push_back(std::log(r.predicted));
      se.push_back(1.0);
    } else {
      if (!r.bracketed || !(r.lr_lo > 0 && r.lr_hi > r.lr_lo)) continue;
      x.push_back(std::log(static_cast<double>(r.B)));
      y.push_back(std::log(r.lr_max));
      se.push_back(0.5 * std::log(r.lr_hi / r.lr_lo));
    }
    f.B.push_back(r.B);
  }
  f.points = x.size();
  if (x.size() < 2) {
    f.slope = f.slope_se = f.intercept = kNaN;
    f.regime = "not enough points";
    return f;
  }
  const LineFit lf = fit_line(x, y, se);
  f.slope = lf.slope;
  f.slope_se = predicted ? 0.0 : lf.slope_se;
  f.intercept = lf.intercept;
  f.regime = theory::classify_exponent(f.slope);
  return f;
}
}  // namespace

LrScalingFit fit_lr_scaling(const std::vector<LrSweepRow>& rows, const std::vector<bool>& use) {
  return fit_rows(rows, use, false);
}
LrScalingFit fit_predicted_scaling(const std::vector<LrSweepRow>& rows, const std::vector<bool>& use) {
  return fit_rows(rows, use, true);
}

#ifdef BATCHRMT_WITH_TORCH

namespace nw = batchrmt::networks;

networks::LearnerRule make_learner_rule(const std::string& variant, const std::string& mu_rule,
                                        const std::string& momentum_formula) {
  const auto v = theory::parse_learner_variant(variant);
  const auto m = theory::parse_mu_rule(mu_rule);
  theory::MomentumFormula mf;
  if (momentum_formula == "polyak") mf = theory::MomentumFormula::Polyak;
  else if (momentum_formula == "code") mf = theory::MomentumFormula::Code;
  else throw InvalidInput("momentum formula is '" + momentum_formula + "', but must be polyak or code.");
  return [v, m, mf](const std::vector<double>& ritz, const std::vector<double>& weights) {
    const auto c = theory::spectrum_learner_rates(ritz, weights, v, m, mf);
    nw::LearnerRates r;
    r.L = c.L;
    r.mu = c.mu;
    r.lr = c.lr;
    r.momentum = c.momentum;
    r.deleted = c.deleted;
    return r;
  };
}

namespace {

void write_spectrum_unit(outputs::Store& store, const std::string& unit, const nw::LrSpectrum& s, bool pre) {
  const outputs::Group g = store.begin_unit(unit);
  g.set_attribute("lambda_full", s.lambda_full);
  g.set_attribute("lambda_full_residual", s.lambda_full_residual);
  g.set_attribute("second_full", s.second_full);
  g.set_attribute("N", s.N);
  g.set_attribute("P", s.P);
  g.set_attribute("grad_mean_sq", s.grad_mean_sq);
  g.set_attribute("grad_var", s.grad_var);
  g.set_attribute("gradient_samples", static_cast<std::int64_t>(s.gradient_samples));
  g.set_attribute("seconds", s.seconds);
  for (const auto& [k, v] : s.conventions) g.set_attribute(k, v);
  const Eigen::Index R = static_cast<Eigen::Index>(s.rows.size());
  const Eigen::Index K = R ? static_cast<Eigen::Index>(s.rows[0].top.size()) : 0;
  Eigen::MatrixXd top(R, K), ov(R, K), sec(R, K), res(R, K), ptop(R, K);
  std::vector<std::int64_t> B;
  std::vector<double> kappa, tm, ts, sm, om, ptm, pts, nf, dr;
  std::vector<std::string> regime;
  for (Eigen::Index i = 0; i < R; ++i) {
    const auto& r = s.rows[static_cast<std::size_t>(i)];
    for (Eigen::Index k = 0; k < K; ++k) {
      top(i, k) = r.top[static_cast<std::size_t>(k)];
      ov(i, k) = r.overlap[static_cast<std::size_t>(k)];
      sec(i, k) = r.second[static_cast<std::size_t>(k)];
      res(i, k) = r.residual[static_cast<std::size_t>(k)];
      ptop(i, k) = pre ? r.pre_top[static_cast<std::size_t>(k)] : kNaN;
    }
    B.push_back(r.B);
    kappa.push_back(r.kappa);
    tm.push_back(r.top_mean);
    ts.push_back(r.top_se);
    sm.push_back(r.second_mean);
    om.push_back(r.overlap_mean);
    ptm.push_back(pre ? r.pre_top_mean : kNaN);
    pts.push_back(pre ? r.pre_top_se : kNaN);
    nf.push_back(pre ? r.noise_fraction : kNaN);
    dr.push_back(pre ? r.damping_ratio : kNaN);
    regime.push_back(r.regime);
  }
  g.write("B", B);
  g.write("kappa", kappa);
  g.write("top", top);
  g.write("top_mean", tm);
  g.write("top_se", ts);
  g.write("second", sec);
  g.write("second_mean", sm);
  g.write("top_residual", res);
  g.write("overlap", ov);
  g.write("overlap_mean", om);
  g.write("regime", regime);
  if (pre) {
    g.write("pre_top", ptop);
    g.write("pre_top_mean", ptm);
    g.write("pre_top_se", pts);
    g.write("noise_fraction", nf);
    g.write("damping_ratio", dr);
  }
  store.complete_unit(g);
}

nw::LrSpectrum read_spectrum_unit(outputs::Store& store, const std::string& unit) {
  const outputs::Group g = store.root().group(unit.substr(1));
  nw::LrSpectrum s;
  auto number = [&](const char* k) {
    const auto a = g.attribute(k);
    if (a) {
      if (const auto* d = std::get_if<double>(&*a)) return *d;
      if (const auto* i = std::get_if<std::int64_t>(&*a)) return static_cast<double>(*i);
    }
    return kNaN;
  };
  s.lambda_full = number("lambda_full");
  s.lambda_full_residual = number("lambda_full_residual");
  s.second_full = number("second_full");
  s.N = static_cast<std::int64_t>(number("N"));
  s.P = static_cast<std::int64_t>(number("P"));
  s.grad_mean_sq = number("grad_mean_sq");
  s.grad_var = number("grad_var");
  s.seconds = number("seconds");
  const auto B = g.read_int_vector("B");
  const auto vec = [&](const char* k) {
    const Eigen::VectorXd v = g.read_vector(k);
    return std::vector<double>(v.data(), v.data() + v.size());
  };
  const auto kappa = vec("kappa"), tm = vec("top_mean"), ts = vec("top_se"), sm = vec("second_mean"),
             om = vec("overlap_mean");
  const auto regime = g.read_strings("regime");
  const bool pre = g.has("pre_top_mean");
  std::vector<double> ptm, pts, nf, dr;
  if (pre) {
    ptm = vec("pre_top_mean");
    pts = vec("pre_top_se");
    nf = vec("noise_fraction");
    dr = vec("damping_ratio");
  }
  const Eigen::MatrixXd top = g.read_matrix("top"), ov = g.read_matrix("overlap");
  for (std::size_t i = 0; i < B.size(); ++i) {
    nw::LrSpectrumRow r;
    r.B = B[i];
    r.kappa = kappa[i];
    r.top_mean = tm[i];
    r.top_se = ts[i];
    r.second_mean = sm[i];
    r.overlap_mean = om[i];
    r.regime = regime[i];
    for (Eigen::Index k = 0; k < top.cols(); ++k) {
      r.top.push_back(top(static_cast<Eigen::Index>(i), k));
      r.overlap.push_back(ov(static_cast<Eigen::Index>(i), k));
    }
    if (pre) {
      r.pre_top_mean = ptm[i];
      r.pre_top_se = pts[i];
      r.noise_fraction = nf[i];
      r.damping_ratio = dr[i];
    }
    s.rows.push_back(r);
  }
  return s;
}

void write_b_unit(outputs::Store& store, const std::string& unit, const LrSweepRow& r, double lr_start) {
  const outputs::Group g = store.begin_unit(unit);
  std::vector<double> lr, ls, le, lm;
  std::vector<std::int64_t> seed, div, steps;
  for (const auto& t : r.trials) {
    lr.push_back(t.lr);
    seed.push_back(static_cast<std::int64_t>(t.seed));
    div.push_back(t.diverged ? 1 : 0);
    ls.push_back(t.loss_start);
    le.push_back(t.loss_end);
    lm.push_back(t.loss_max_ratio);
    steps.push_back(t.steps);
  }
  g.write("lr", lr);
  g.write("seed", seed);
  g.write("diverged", div);
  g.write("loss_start", ls);
  g.write("loss_end", le);
  g.write("loss_max_ratio", lm);
  g.write("steps", steps);
  g.write("reason", r.reasons);
  g.set_attribute("B", r.B);
  g.set_attribute("lr_lo", r.lr_lo);
  g.set_attribute("lr_hi", r.lr_hi);
  g.set_attribute("lr_max", r.lr_max);
  g.set_attribute("bracketed", static_cast<std::int64_t>(r.bracketed ? 1 : 0));
  g.set_attribute("status", std::string("complete"));  // overwritten by complete_unit; search status below
  g.set_attribute("search_status", r.status);
  g.set_attribute("lr_start", lr_start);
  g.set_attribute("seconds", r.seconds);
  store.complete_unit(g);
}

void read_b_unit(outputs::Store& store, const std::string& unit, LrSweepRow& r) {
  const outputs::Group g = store.root().group(unit.substr(1));
  auto number = [&](const char* k) {
    const auto a = g.attribute(k);
    if (a) {
      if (const auto* d = std::get_if<double>(&*a)) return *d;
      if (const auto* i = std::get_if<std::int64_t>(&*a)) return static_cast<double>(*i);
    }
    return kNaN;
  };
  r.lr_lo = number("lr_lo");
  r.lr_hi = number("lr_hi");
  r.lr_max = number("lr_max");
  r.bracketed = number("bracketed") == 1.0;
  r.seconds = number("seconds");
  if (const auto a = g.attribute("search_status"))
    if (const auto* s = std::get_if<std::string>(&*a)) r.status = *s;
  const Eigen::VectorXd lr = g.read_vector("lr"), ls = g.read_vector("loss_start"), le = g.read_vector("loss_end"),
                        lm = g.read_vector("loss_max_ratio");
  const auto seed = g.read_int_vector("seed"), div = g.read_int_vector("diverged"), steps = g.read_int_vector("steps");
  r.reasons = g.read_strings("reason");
  r.trials.clear();
  for (Eigen::Index i = 0; i < lr.size(); ++i) {
    StabilityTrial t;
    const auto k = static_cast<std::size_t>(i);
    t.lr = lr(i);
    t.seed = static_cast<std::uint64_t>(seed[k]);
    t.diverged = div[k] != 0;
    t.loss_start = ls(i);
    t.loss_end = le(i);
    t.loss_max_ratio = lm(i);
    t.steps = steps[k];
    r.trials.push_back(t);
  }
}

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

// Row i: the spectrum's prediction at B and the measured stability limit (read back when the
// B unit is complete).
LrSweepRow measure_b_row(const LrSweepRequest& rq, std::size_t i, const nw::LrSpectrum& spectrum, bool have_spectrum,
                         outputs::Store* store, const std::function<void(const std::string&)>& log) {
  const bool adam = rq.trial.optimizer == nw::Optimizer::adam;
  const std::string root = "/" + rq.group;
  const std::int64_t B = rq.batch_sizes[i];
  LrSweepRow row;
  row.B = B;
  row.kappa = nw::finite_population_kappa(static_cast<std::int64_t>(rq.train.size()), B);
  row.predicted = row.top_mean = row.top_se = row.overlap = kNaN;
  row.pre_top_mean = row.pre_top_se = row.noise_fraction = row.damping_ratio = kNaN;
  if (have_spectrum) {
    const auto& s = spectrum.rows[i];
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
    row.predicted = predicted_max_lr(rq.trial.optimizer, rq.trial.momentum, rq.trial.beta1,
                                     adam ? s.pre_top_mean : s.top_mean);
  }
  StabilitySearchOptions so = rq.search;
  if (rq.start_at_prediction && std::isfinite(row.predicted))
    so.lr_start = std::clamp(row.predicted, so.lr_min, so.lr_max);
  const std::string unit = root + "/B=" + std::to_string(B);
  if (store && store->is_complete(unit)) {
    read_b_unit(*store, unit, row);
    log("resume: B = " + std::to_string(B) + " read back (" + std::to_string(row.trials.size()) + " trials)");
  } else {
    const auto tb = std::chrono::steady_clock::now();
    nw::LrTrialOptions to = rq.trial;
    to.batch_size = B;
    const nw::LrTrialRunner runner(rq.model, rq.train, rq.transform, to);
    std::vector<std::string> reasons;
    const auto lim = find_stability_limit(
        [&](double lr, std::uint64_t seed) {
          const auto t = runner.run(lr, seed);
          reasons.push_back(t.reason);
          return StabilityTrial{t.lr, t.seed, t.diverged, t.loss_start, t.loss_end, t.loss_max_ratio, t.steps};
        },
        so);
    row.lr_lo = lim.lr_lo;
    row.lr_hi = lim.lr_hi;
    row.lr_max = lim.lr_max;
    row.bracketed = lim.bracketed;
    row.status = lim.status;
    row.trials = lim.trials;
    row.reasons = reasons;
    row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tb).count();
    if (store) write_b_unit(*store, unit, row, so.lr_start);
    log("B = " + std::to_string(B) + ": lr_max " + format_number(row.lr_max) + " in [" + format_number(row.lr_lo) + ", " +
        format_number(row.lr_hi) + "], predicted " + format_number(row.predicted) + " (" + std::to_string(row.trials.size()) +
        " trials, " + format_number(row.seconds, 3) + " s)");
  }
  return row;
}

// /<group>/summary: one row per B and the scaling fits.
void write_sweep_summary(outputs::Store& store, const LrSweepRequest& rq, const LrSweepResult& out) {
  const outputs::Group s = store.root().group(rq.group + "/summary");
  const auto& rows = out.rows;
  using Row = LrSweepRow;
  outputs::write_column(s, "B", rows, &Row::B);
  outputs::write_column(s, "bracketed", rows, &Row::bracketed);
  outputs::write_columns<Row>(s, rows, {
      {"lr_max", &Row::lr_max},
      {"lr_lo", &Row::lr_lo},
      {"lr_hi", &Row::lr_hi},
      {"predicted", &Row::predicted},
      {"top_mean", &Row::top_mean},
      {"overlap", &Row::overlap}});
  outputs::write_column(s, "regime", rows, &Row::regime);
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
  const std::function<void(const std::string&)> log = [&](const std::string& m) {
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
  const std::string root = "/" + rq.group;
  if (store) describe_sweep(*store, rq, out.rule);
  // ---- the batch spectrum at the starting point
  nw::LrSpectrum spectrum;
  bool have_spectrum = false;
  if (rq.measure_spectrum) {
    const std::string unit = root + "/spectrum";
    if (store && store->is_complete(unit)) {
      log("resume: spectrum read back");
      spectrum = read_spectrum_unit(*store, unit);
    } else {
      nw::LrSpectrumOptions so = rq.spectrum;
      so.preconditioned = adam;
      so.eps = rq.trial.eps;
      if (!so.log) so.log = rq.log;
      spectrum = nw::measure_lr_spectrum(rq.model, rq.train, rq.transform, rq.batch_sizes, so);
      if (store) write_spectrum_unit(*store, unit, spectrum, adam);
    }
    have_spectrum = spectrum.rows.size() == rq.batch_sizes.size();
    if (!have_spectrum) throw InvalidInput("lr-sweep: the stored spectrum has other batch sizes; use a new --out file.");
    out.lambda_full = spectrum.lambda_full;
    out.N = spectrum.N;
    out.P = spectrum.P;
  } else {
    out.lambda_full = kNaN;
    out.N = static_cast<std::int64_t>(rq.train.size());
    out.P = rq.model.parameter_count();
  }

  // ---- the stability limits
  for (std::size_t i = 0; i < rq.batch_sizes.size(); ++i)
    out.rows.push_back(measure_b_row(rq, i, spectrum, have_spectrum, store, log));
  out.fit = fit_lr_scaling(out.rows, {});
  out.predicted_fit = fit_predicted_scaling(out.rows, {});
  if (store) write_sweep_summary(*store, rq, out);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

#endif  // BATCHRMT_WITH_TORCH

}  // namespace batchrmt::verify
