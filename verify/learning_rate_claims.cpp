// Learning rates from curvature: the sweep with its store, the scaling fits and claims C6-C8
// (learning_rate_claims.hpp; THEORY.md §2.7, §3, §6.4).
#include "verify/learning_rate_claims.hpp"

#include <algorithm>
#include <chrono>
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

double predicted_max_lr(const std::string& optimizer, double momentum, double beta1, double lambda_top) {
  if (!(std::isfinite(lambda_top) && lambda_top > 0)) return kNaN;
  if (optimizer == "adam") return theory::ema_momentum_max_lr(lambda_top, beta1);
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

}  // namespace

LrSweepResult run_lr_sweep(const LrSweepRequest& rq, outputs::Store* store) {
  const auto t0 = std::chrono::steady_clock::now();
  auto log = [&](const std::string& m) {
    if (rq.log) rq.log(m);
  };
  if (rq.batch_sizes.empty()) throw InvalidInput("lr-sweep: no batch sizes were given.");
  rq.trial.validate();
  LrSweepResult out;
  out.optimizer = rq.trial.optimizer;
  const bool adam = rq.trial.optimizer == "adam";
  out.rule = adam ? "2 (1 + beta1) / ((1 - beta1) lambda_max(D^1/2 H_B D^1/2)), D = 1/(sqrt(gbar^2 + kappa_B s^2) + eps) "
                    "[RECON, THEORY.md 2.7; EMA momentum as heavy ball]"
                  : "2 (1 + momentum) / lambda'_1(B), lambda'_1(B) = mean top Ritz value of H_B over subsets "
                    "[STD stability, RECON application, THEORY.md 2.7]";
  const std::string root = "/" + rq.group;
  if (store) {
    const outputs::Group g = store->root().group(rq.group);
    g.set_attribute("optimizer", rq.trial.optimizer);
    g.set_attribute("trial_options", rq.trial.serialize());
    g.set_attribute("divergence_rule", "diverged iff a batch loss is non-finite or the monitor loss is non-finite or > " +
                                           format_number(rq.trial.divergence_factor, 6) + " x its start");
    g.set_attribute("search", "growth " + format_number(rq.search.growth) + ", bisections " + std::to_string(rq.search.bisections) +
                                  ", seeds " + std::to_string(rq.search.seeds) + " from " +
                                  std::to_string(rq.search.first_seed) + ", range [" + format_number(rq.search.lr_min) + ", " +
                                  format_number(rq.search.lr_max) + "]" + (rq.start_at_prediction ? ", start at the prediction" : ""));
    g.set_attribute("prediction_rule", out.rule);
    g.set_attribute("lr_se_rule", "se(ln lr_max) = ln(lr_hi/lr_lo)/2");
    for (const auto& [k, v] : rq.attributes) g.set_attribute(k, v);
  }

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
  }

  // ---- the stability limits
  for (std::size_t i = 0; i < rq.batch_sizes.size(); ++i) {
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
            StabilityTrial s;
            s.lr = t.lr;
            s.seed = t.seed;
            s.diverged = t.diverged;
            s.loss_start = t.loss_start;
            s.loss_end = t.loss_end;
            s.loss_max_ratio = t.loss_max_ratio;
            s.steps = t.steps;
            return s;
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
    out.rows.push_back(std::move(row));
  }
  out.fit = fit_lr_scaling(out.rows, {});
  out.predicted_fit = fit_predicted_scaling(out.rows, {});
  if (store) {
    const outputs::Group s = store->root().group(rq.group + "/summary");
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
    store->flush();
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

namespace {

struct ClaimData {
  nw::DataSplits data;
  nw::Model model;
  std::string description;
};

// Loads the section's dataset and builds its model; throws IoError when the data are absent.
ClaimData load_claim_data(const Config& c, const std::string& sec, std::uint64_t seed, const std::string& model_default,
                          std::int64_t train_default, std::int64_t test_default) {
  ClaimData d;
  nw::DataOptions o;
  o.name = c.text(sec + ".dataset", "fashion-mnist");
  o.data_dir = c.text(sec + ".data_dir", c.text("run.data_dir", ""));  // run.*: reproduce --data-dir / --device
  o.normalize = nw::parse_normalize(c.text(sec + ".normalize", "per-channel"));
  o.augment = "off";
  o.train_subset = static_cast<std::size_t>(c.integer(sec + ".train_subset", train_default));
  o.test_subset = static_cast<std::size_t>(c.integer(sec + ".test_subset", test_default));
  o.subset_seed = seed;
  o.synthetic.seed = seed;
  o.image_folder.side = static_cast<int>(c.integer(sec + ".image_side", 32));
  nw::dataset_signature(o);  // an unknown dataset name is a configuration error (InvalidInput), not absent data
  try {
    d.data = nw::load_dataset(o);
  } catch (const Error& e) {  // absent or unreadable data: the claim is "not measured"
    throw IoError(o.name + " could not be read (" + e.what() + ")");
  }
  nw::ModelSpec spec;
  spec.name = c.text(sec + ".model", model_default);
  spec.input_shape = d.data.train.input_shape();
  spec.classes = d.data.train.classes();
  spec.init = c.text(sec + ".init", "default");
  spec.depth = static_cast<int>(c.integer(sec + ".depth", 0));
  spec.width = static_cast<int>(c.integer(sec + ".width", 0));
  spec.seed = seed;
  spec = spec.resolved();
  const std::string device = nw::checked_device(c.text(sec + ".device", c.text("run.device", "cpu")));
  d.model = nw::Model::create(spec, device);
  const int pre = static_cast<int>(c.integer(sec + ".pretrain_epochs", 0));
  if (pre > 0) {
    nw::TrainOptions t;
    t.epochs = pre;
    t.batch_size = c.integer(sec + ".pretrain_batch_size", 128);
    t.lr = c.number(sec + ".pretrain_lr", 0.01);
    t.momentum = 0.9;
    t.schedule = "constant";
    t.evaluate_test = false;
    t.seed = seed;
    nw::train(d.model, d.data, t);
  }
  d.description = spec.describe() + " on " + d.data.description +
                  (pre > 0 ? " after " + std::to_string(pre) + " epoch(s) of SGD" : std::string(", at initialisation"));
  return d;
}

// Loads the section's data into `d`; false, with `r` turned into "not measured" and the reason,
// when they are absent.
bool load_or_explain(ClaimResult& r, ClaimData& d, const Config& c, const std::string& sec, std::uint64_t seed,
                     const std::string& model_default, std::int64_t train_default, std::int64_t test_default) {
  try {
    d = load_claim_data(c, sec, seed, model_default, train_default, test_default);
    return true;
  } catch (const IoError& e) {
    r = not_measured(r.id, r.name, std::string("the data are not available: ") + e.what());
    return false;
  }
}

LrSweepRequest sweep_request(const Config& c, const std::string& sec, const ClaimData& d, std::uint64_t seed) {
  LrSweepRequest rq;
  rq.model = d.model;
  rq.train = d.data.train;
  rq.transform = d.data.test_transform;
  rq.batch_sizes = c.integers(sec + ".batch_sizes", {8, 32, 128, 512});
  rq.trial.steps = static_cast<int>(c.integer(sec + ".steps", 50));
  rq.trial.divergence_factor = c.number(sec + ".divergence_factor", 2.0);
  rq.trial.monitor_size = static_cast<std::size_t>(c.integer(sec + ".monitor_size", 1024));
  rq.trial.monitor_every = static_cast<int>(c.integer(sec + ".monitor_every", 5));
  rq.trial.monitor_seed = seed;
  rq.search.seeds = static_cast<int>(c.integer(sec + ".seeds", 2));
  rq.search.first_seed = seed;
  rq.search.bisections = static_cast<int>(c.integer(sec + ".bisections", 4));
  rq.search.growth = c.number(sec + ".growth", 2.0);
  rq.spectrum.subsets = static_cast<int>(c.integer(sec + ".subsets", 3));
  rq.spectrum.lanczos_steps = static_cast<std::size_t>(c.integer(sec + ".lanczos_steps", 30));
  rq.spectrum.full_lanczos_steps = static_cast<std::size_t>(c.integer(sec + ".full_lanczos_steps", 60));
  rq.spectrum.gradient_samples = static_cast<std::size_t>(c.integer(sec + ".gradient_samples", 256));
  rq.spectrum.seed = seed;
  return rq;
}

void put_sweep(ClaimResult& r, const LrSweepResult& s, const std::string& prefix) {
  std::vector<double> B, lm, lo, hi, pr, top, tse, ov, kappa, trials, pre, nf, dr;
  std::string regimes;
  for (const auto& row : s.rows) {
    B.push_back(static_cast<double>(row.B));
    lm.push_back(row.lr_max);
    lo.push_back(row.lr_lo);
    hi.push_back(row.lr_hi);
    pr.push_back(row.predicted);
    top.push_back(row.top_mean);
    tse.push_back(row.top_se);
    ov.push_back(row.overlap);
    kappa.push_back(row.kappa);
    trials.push_back(static_cast<double>(row.trials.size()));
    pre.push_back(row.pre_top_mean);
    nf.push_back(row.noise_fraction);
    dr.push_back(row.damping_ratio);
    regimes += (regimes.empty() ? "" : ",") + row.regime;
  }
  r.series[prefix + "B"] = B;
  r.series[prefix + "lr_max"] = lm;
  r.series[prefix + "lr_lo"] = lo;
  r.series[prefix + "lr_hi"] = hi;
  r.series[prefix + "predicted"] = pr;
  r.series[prefix + "top_mean"] = top;
  r.series[prefix + "top_se"] = tse;
  r.series[prefix + "overlap"] = ov;
  r.series[prefix + "kappa"] = kappa;
  r.series[prefix + "trials"] = trials;
  if (s.optimizer == "adam") {
    r.series[prefix + "preconditioned_top"] = pre;
    r.series[prefix + "noise_fraction"] = nf;
    r.series[prefix + "damping_ratio"] = dr;
  }
  r.labels[prefix + "regimes"] = regimes;
  r.labels[prefix + "fit_regime"] = s.fit.regime;
  r.labels[prefix + "prediction_rule"] = s.rule;
  r.scalars[prefix + "lambda_full"] = s.lambda_full;
  r.scalars[prefix + "slope_all"] = s.fit.slope;
  r.scalars[prefix + "slope_all_se"] = s.fit.slope_se;
  r.scalars[prefix + "predicted_slope_all"] = s.predicted_fit.slope;
  r.scalars[prefix + "seconds"] = s.seconds;
}

// The B's of the noise-dominated range: measured lambda'_1(B) >= ratio * lambda_1 (the batch
// shift at least (ratio - 1) lambda_1: THEORY.md §2.7's q_B >= ratio - 1 in the outlier formula).
std::vector<bool> noise_dominated(const LrSweepResult& s, double ratio) {
  std::vector<bool> use;
  for (const auto& r : s.rows) use.push_back(std::isfinite(r.top_mean) && r.top_mean >= ratio * s.lambda_full);
  return use;
}

std::string majority_regime(const LrSweepResult& s, const std::vector<bool>& use) {
  int outlier = 0, edge = 0, other = 0;
  for (std::size_t i = 0; i < s.rows.size(); ++i) {
    if (!use[i]) continue;
    if (s.rows[i].regime == "outlier") ++outlier;
    else if (s.rows[i].regime == "edge") ++edge;
    else ++other;
  }
  if (edge > outlier + other) return "edge";
  if (outlier > edge + other) return "outlier";
  return "ambiguous";
}

struct PartVerdict {
  Verdict verdict = Verdict::not_measured;
  double slope = kNaN, slope_se = kNaN, predicted_slope = kNaN, z = kNaN;
  std::string note;
};

// Slope of ln lr_max on ln B over `use` against `claim`, with the regime checks.
PartVerdict scaling_part(const LrSweepResult& s, const std::vector<bool>& use, double claim, double budget,
                         const std::string& what, const std::string& extra_regime_failure) {
  PartVerdict p;
  const auto fit = fit_lr_scaling(s.rows, use);
  const auto pfit = fit_predicted_scaling(s.rows, use);
  p.slope = fit.slope;
  p.slope_se = fit.slope_se;
  p.predicted_slope = pfit.slope;
  std::string Bs;
  for (auto b : fit.B) Bs += (Bs.empty() ? "" : ",") + std::to_string(b);
  if (fit.points < 2) {
    p.verdict = Verdict::outside_regime;
    p.note = what + ": fewer than two bracketed batch sizes in the range where the claim applies";
    return p;
  }
  const std::string regime = majority_regime(s, use);
  p.note = what + ": slope " + format_number(fit.slope, 3) + " +- " + format_number(fit.slope_se, 2) + " over B = {" + Bs +
           "} (claim " + format_number(claim, 3) + ", bias budget " + format_number(budget, 3) + ", |z| <= 4; spectrum-predicted slope " +
           format_number(pfit.slope, 3) + "; top eigenvalue there: " + regime + ")";
  if (regime == "edge") {
    p.verdict = Verdict::outside_regime;
    p.note += "; outside its regime: the measured top eigenvalue of H_B is the bulk edge, not an outlier (THEORY.md 3)";
    return p;
  }
  if (!extra_regime_failure.empty()) {
    p.verdict = Verdict::outside_regime;
    p.note += "; outside its regime: " + extra_regime_failure;
    return p;
  }
  const auto zt = z_test(claim, fit.slope, std::max(fit.slope_se, 1e-12), budget);
  p.z = zt.z;
  p.verdict = zt.passed ? Verdict::agrees : Verdict::disagrees;
  return p;
}

Verdict combine(const std::vector<Verdict>& parts) {
  bool any_agree = false, any_outside = false;
  for (auto v : parts) {
    if (v == Verdict::disagrees) return Verdict::disagrees;
    if (v == Verdict::agrees) any_agree = true;
    if (v == Verdict::outside_regime) any_outside = true;
  }
  if (any_outside) return Verdict::outside_regime;
  return any_agree ? Verdict::agrees : Verdict::not_measured;
}

}  // namespace

ClaimResult claim_sgd_scaling(const Config& c, std::uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  ClaimResult r;
  r.id = "C6";
  r.name = "SGD stability limit ~ B in the noise-dominated regime, saturating at large B (measured lr-sweep)";
  ClaimData d;
  if (!load_or_explain(r, d, c, "c6", seed, "linear", 4096, 0)) return r;
  LrSweepRequest rq = sweep_request(c, "c6", d, seed);
  rq.trial.optimizer = "sgd";
  rq.trial.momentum = c.number("c6.momentum", 0.0);
  const auto s = run_lr_sweep(rq, nullptr);
  put_sweep(r, s, "");
  const double ratio = c.number("c6.noise_dominated_ratio", 2.0);
  const double sat_ratio = c.number("c6.saturated_ratio", 1.25);
  const double budget = c.number("c6.exponent_bias_budget", 0.25);
  const auto use = noise_dominated(s, ratio);
  std::vector<bool> sat;
  for (const auto& row : s.rows) sat.push_back(std::isfinite(row.top_mean) && row.top_mean <= sat_ratio * s.lambda_full);
  const auto lin = scaling_part(s, use, 1.0, budget, "noise-dominated range (lambda'_1 >= " + format_number(ratio) + " lambda_1)", "");
  std::vector<Verdict> parts{lin.verdict};
  std::string note = lin.note;
  const auto sat_fit = fit_lr_scaling(s.rows, sat);
  if (sat_fit.points >= 2) {
    const auto sp = scaling_part(s, sat, 0.0, budget, "saturated range (lambda'_1 <= " + format_number(sat_ratio) + " lambda_1)", "");
    parts.push_back(sp.verdict);
    note += "; " + sp.note;
    r.scalars["saturated_slope"] = sp.slope;
    r.scalars["saturated_slope_se"] = sp.slope_se;
  } else {
    note += "; saturation not tested (fewer than two B with lambda'_1 <= " + format_number(sat_ratio) + " lambda_1)";
  }
  r.verdict = combine(parts);
  r.prediction = 1.0;
  r.measurement = lin.slope;
  r.stderr_ = lin.slope_se;
  r.z = lin.z;
  r.scalars["predicted_slope"] = lin.predicted_slope;
  std::vector<double> ratio_series;
  for (const auto& row : s.rows) ratio_series.push_back(row.lr_max / row.predicted);
  r.series["measured_over_predicted"] = ratio_series;
  r.note = d.description + "; SGD momentum " + format_number(rq.trial.momentum) + ", " + std::to_string(rq.trial.steps) +
           " steps, divergence factor " + format_number(rq.trial.divergence_factor) + ", " + std::to_string(rq.search.seeds) +
           " seeds; lambda_1 = " + format_number(s.lambda_full) + "; " + note;
  r.labels["model"] = d.description;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

ClaimResult claim_adam_scaling(const Config& c, std::uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  ClaimResult r;
  r.id = "C7";
  r.name = "Adam stability limit ~ B^(1/2) with small damping, ~ B with large damping (measured lr-sweep)";
  ClaimData d;
  if (!load_or_explain(r, d, c, "c7", seed, "linear", 4096, 0)) return r;
  const double ratio = c.number("c7.noise_dominated_ratio", 2.0);
  const double budget = c.number("c7.exponent_bias_budget", 0.2);
  const double noise_min = c.number("c7.noise_fraction_min", 0.9);
  std::vector<Verdict> parts;
  std::string note;
  const std::vector<std::pair<std::string, double>> cases{{"small_", c.number("c7.eps_small", 1e-8)},
                                                          {"large_", c.number("c7.eps_large", 1.0)}};
  for (const auto& [prefix, eps] : cases) {
    LrSweepRequest rq = sweep_request(c, "c7", d, seed);
    rq.trial.optimizer = "adam";
    rq.trial.eps = eps;
    rq.trial.beta1 = c.number("c7.beta1", 0.9);
    rq.trial.beta2 = c.number("c7.beta2", 0.999);
    rq.trial.adam_warmup = static_cast<int>(c.integer("c7.adam_warmup", 20));
    const auto s = run_lr_sweep(rq, nullptr);
    put_sweep(r, s, prefix);
    r.scalars[prefix + "eps"] = eps;
    const auto use = noise_dominated(s, ratio);
    std::string failure;
    const bool small = prefix == "small_";
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
      if (!use[i]) continue;
      const auto& row = s.rows[i];
      if (small && !(row.noise_fraction >= noise_min && row.damping_ratio <= 0.1))
        failure = "the second moment is not noise-dominated with small damping at B = " + std::to_string(row.B) +
                  " (noise fraction " + format_number(row.noise_fraction, 3) + " < " + format_number(noise_min) + " or eps/rms sqrt(v) = " +
                  format_number(row.damping_ratio, 3) + " > 0.1)";
      if (!small && !(row.damping_ratio >= 10.0))
        failure = "the damping does not dominate at B = " + std::to_string(row.B) + " (eps/rms sqrt(v) = " +
                  format_number(row.damping_ratio, 3) + " < 10)";
    }
    const auto p = scaling_part(s, use, small ? 0.5 : 1.0, budget,
                                std::string(small ? "small" : "large") + " damping eps = " + format_number(eps) +
                                    ", noise-dominated range (lambda'_1 >= " + format_number(ratio) + " lambda_1)",
                                failure);
    parts.push_back(p.verdict);
    note += (note.empty() ? "" : "; ") + p.note;
    r.scalars[prefix + "slope"] = p.slope;
    r.scalars[prefix + "slope_se"] = p.slope_se;
    r.scalars[prefix + "predicted_slope"] = p.predicted_slope;
    r.labels[prefix + "verdict"] = to_string(p.verdict);
    if (small) {
      r.prediction = 0.5;
      r.measurement = p.slope;
      r.stderr_ = p.slope_se;
      r.z = p.z;
    }
  }
  r.verdict = combine(parts);
  r.note = d.description + "; Adam betas (" + format_number(c.number("c7.beta1", 0.9)) + ", " + format_number(c.number("c7.beta2", 0.999)) +
           "), moments warmed over " + std::to_string(c.integer("c7.adam_warmup", 20)) + " batches at lr 0; " + note;
  r.labels["model"] = d.description;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

ClaimResult claim_spectrum_learner(const Config& c, std::uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  ClaimResult r;
  r.id = "C8";
  r.name = "spectrum-driven learner (Lanczos on a curvature subset) vs SGD with a tuned constant learning rate";
  ClaimData d;
  if (!load_or_explain(r, d, c, "c8", seed, "lenet", 4096, 2000)) return r;
  const int epochs = static_cast<int>(c.integer("c8.epochs", 3));
  const std::int64_t B = c.integer("c8.batch_size", 128);
  const int seeds = static_cast<int>(c.integer("c8.seeds", 2));
  const auto lrs = c.numbers("c8.baseline_lrs", {0.003, 0.01, 0.03, 0.1, 0.3});
  const double base_momentum = c.number("c8.baseline_momentum", 0.9);
  const std::size_t validation = static_cast<std::size_t>(c.integer("c8.validation", 1000));
  const double budget = c.number("c8.accuracy_budget", 0.01);
  const std::string variant = c.text("c8.variant", "ssgdm");
  const std::string mu_rule = c.text("c8.mu_rule", "minimum");
  const std::string formula = c.text("c8.momentum_formula", "polyak");
  const nw::ModelSpec spec = d.model.spec();
  const std::string device = d.model.device();
  // Validation split for the baseline's tuning: the last `validation` items of a seeded
  // permutation of the training subset; both methods train on the rest.
  const std::size_t N = d.data.train.size();
  if (validation >= N) throw InvalidInput("c8.validation must be below the training size " + std::to_string(N) + ".");
  auto perm = RandomStream(seed, 0x56414c00).permutation(N);
  nw::DataSplits fit = d.data, val = d.data;
  fit.train = d.data.train.subset(std::vector<std::size_t>(perm.begin(), perm.end() - static_cast<std::ptrdiff_t>(validation)));
  val.test = d.data.train.subset(std::vector<std::size_t>(perm.end() - static_cast<std::ptrdiff_t>(validation), perm.end()));
  auto fresh = [&]() { return nw::Model::create(spec, device); };
  // Baseline: every lr of the grid, every seed.
  Eigen::MatrixXd base_val(static_cast<Eigen::Index>(lrs.size()), seeds), base_test(static_cast<Eigen::Index>(lrs.size()), seeds);
  for (std::size_t i = 0; i < lrs.size(); ++i)
    for (int s = 0; s < seeds; ++s) {
      nw::Model m = fresh();
      nw::TrainOptions t;
      t.epochs = epochs;
      t.batch_size = B;
      t.lr = lrs[i];
      t.momentum = base_momentum;
      t.schedule = "constant";
      t.evaluate_test = false;
      t.seed = seed + static_cast<std::uint64_t>(s);
      const auto tr = nw::train(m, fit, t);
      const bool ok = tr.status != "diverged";
      const auto i_ = static_cast<Eigen::Index>(i);
      base_val(i_, s) = ok ? nw::evaluate(m, val.test, d.data.test_transform, 1000).accuracy : 0.0;
      base_test(i_, s) = ok ? nw::evaluate(m, d.data.test, d.data.test_transform, 1000).accuracy : 0.0;
    }
  Eigen::Index best = 0;
  base_val.rowwise().mean().maxCoeff(&best);
  // Learner: one run per seed.
  nw::LearnerOptions lo;
  lo.epochs = epochs;
  lo.batch_size = B;
  lo.curvature_every = static_cast<int>(c.integer("c8.curvature_every", 1));
  lo.curvature_steps = static_cast<std::size_t>(c.integer("c8.curvature_steps", 20));
  lo.curvature_batch = static_cast<std::size_t>(c.integer("c8.curvature_batch", 32));
  lo.curvature_seed = static_cast<std::uint64_t>(c.integer("c8.curvature_seed", 5));
  lo.evaluate_test = true;
  const auto rule = make_learner_rule(variant, mu_rule, formula);
  std::vector<double> learn_test, lr_series, mom_series, L_series, mu_series;
  std::string status;
  for (int s = 0; s < seeds; ++s) {
    nw::Model m = fresh();
    lo.seed = seed + static_cast<std::uint64_t>(s);
    const auto res = nw::train_with_learner(m, fit, lo, rule);
    learn_test.push_back(res.status == "complete" ? res.history.back().test_accuracy : 0.0);
    status += (status.empty() ? "" : ",") + res.status;
    if (s == 0)
      for (const auto& e : res.history) {
        lr_series.push_back(e.lr);
        mom_series.push_back(e.momentum);
        L_series.push_back(e.L);
        mu_series.push_back(e.mu);
      }
  }
  const Eigen::VectorXd bt = base_test.row(best).transpose();
  const auto ls = summarize(learn_test);
  const auto bs = summarize(std::vector<double>(bt.data(), bt.data() + bt.size()));
  const double n_test = static_cast<double>(d.data.test.size());
  auto se_of = [&](const SampleSummary& x) {
    const double binom = std::sqrt(std::max(x.mean * (1 - x.mean), 1e-6) / n_test / static_cast<double>(x.count));
    return std::isfinite(x.stderr_) ? std::max(binom, x.stderr_) : binom;
  };
  const double se = std::sqrt(se_of(ls) * se_of(ls) + se_of(bs) * se_of(bs));
  // One-sided: the claim is that the learner is not worse than tuned SGD.
  const double deficit = bs.mean - ls.mean;
  r.prediction = bs.mean;
  r.measurement = ls.mean;
  r.stderr_ = se;
  r.z = deficit > budget ? -(deficit - budget) / se : 0.0;
  r.verdict = deficit <= budget + 4 * se ? Verdict::agrees : Verdict::disagrees;
  r.series["baseline_lrs"] = lrs;
  r.matrices["baseline_validation_accuracy"] = base_val;
  r.matrices["baseline_test_accuracy"] = base_test;
  r.series["learner_test_accuracy"] = learn_test;
  r.series["learner_lr"] = lr_series;
  r.series["learner_momentum"] = mom_series;
  r.series["learner_L"] = L_series;
  r.series["learner_mu"] = mu_series;
  r.scalars["baseline_best_lr"] = lrs[static_cast<std::size_t>(best)];
  r.scalars["baseline_trials"] = static_cast<double>(lrs.size());
  r.scalars["learner_trials"] = 1.0;
  r.scalars["baseline_test_accuracy"] = bs.mean;
  r.scalars["learner_test_accuracy"] = ls.mean;
  r.labels["learner"] = std::string(variant) + ", mu rule " + mu_rule + ", momentum formula " + formula;
  r.labels["learner_status"] = status;
  r.note = d.description + "; " + std::to_string(epochs) + " epochs, B = " + std::to_string(B) + ", " +
           std::to_string(seeds) + " seeds; learner " + variant + " (" + mu_rule + " rule, " + formula +
           " momentum, Lanczos " + std::to_string(lo.curvature_steps) + " steps on " + std::to_string(lo.curvature_batch) +
           " items every " + std::to_string(lo.curvature_every) + " epoch(s)): test accuracy " + format_number(ls.mean) +
           " with 1 run; SGD (momentum " + format_number(base_momentum) + ", constant lr) tuned over " +
           std::to_string(lrs.size()) + " rates on a " + std::to_string(validation) + "-item validation split: best lr " +
           format_number(lrs[static_cast<std::size_t>(best)]) + ", test accuracy " + format_number(bs.mean) +
           "; agrees iff learner >= tuned - (" + format_number(budget) + " + 4 se), se " + format_number(se, 2) +
           " (binomial or between-seed, the larger)";
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

#else  // !BATCHRMT_WITH_TORCH

ClaimResult claim_sgd_scaling(const Config&, std::uint64_t) {
  return not_measured("C6", "SGD stability limit ~ B (measured lr-sweep)",
                      "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to train");
}
ClaimResult claim_adam_scaling(const Config&, std::uint64_t) {
  return not_measured("C7", "Adam stability limit ~ B^(1/2) small damping, ~ B large damping (measured lr-sweep)",
                      "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to train");
}
ClaimResult claim_spectrum_learner(const Config&, std::uint64_t) {
  return not_measured("C8", "spectrum-driven learner vs tuned SGD",
                      "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to train");
}

#endif

}  // namespace batchrmt::verify
