// C8: the spectrum-driven learner (Lanczos on a curvature subset sets lr and momentum) against
// SGD with a constant learning rate tuned on a validation split (configs [c8]).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "core/rng.hpp"
#include "verify/claim_c8_learner.hpp"
#include "verify/claim_data.hpp"
#include "verify/learner_diagnosis.hpp"
#include "verify/learning_rate_claims.hpp"
#include "verify/statistics.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "networks/curvature.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"
#endif

namespace batchrmt::verify {

#ifdef BATCHRMT_WITH_TORCH

namespace nw = batchrmt::networks;

networks::LearnerOptions learner_options_from_config(const Config& c, const std::string& sec) {
  nw::LearnerOptions lo;
  lo.epochs = static_cast<int>(c.integer(sec + ".epochs", 3));
  lo.batch_size = c.integer(sec + ".batch_size", 128);
  lo.curvature_every = static_cast<int>(c.integer(sec + ".curvature_every", 1));
  lo.curvature_steps = static_cast<std::size_t>(c.integer(sec + ".curvature_steps", 20));
  lo.curvature_batch = static_cast<std::size_t>(c.integer(sec + ".curvature_batch", 32));
  lo.curvature_seed = static_cast<std::uint64_t>(c.integer(sec + ".curvature_seed", 5));
  lo.warmstart = static_cast<int>(c.integer(sec + ".warmstart", -1));  // the authors' scripts' default
  lo.lr_init = c.number(sec + ".lr_init", 0.05);                         // their PreResNet runs
  lo.momentum_init = c.number(sec + ".momentum_init", 0.0);              // their --momentum default
  lo.weight_decay = c.number(sec + ".weight_decay", 0.0);
  lo.curvature.batchnorm = nw::parse_batchnorm_policy(c.text(sec + ".curvature_batchnorm", "train"));
  lo.curvature.chunk_size = static_cast<std::int64_t>(lo.curvature_batch);
  lo.evaluate_test = true;
  lo.validate();
  return lo;
}

namespace {

// Per seed and epoch (seeds x epochs, NaN where a run stopped or an epoch had no update).
Eigen::MatrixXd per_seed(const std::vector<nw::LearnerResult>& runs, int epochs, double nw::LearnerEpoch::*field) {
  Eigen::MatrixXd m = Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(runs.size()), epochs,
                                                std::numeric_limits<double>::quiet_NaN());
  for (std::size_t s = 0; s < runs.size(); ++s)
    for (const auto& e : runs[s].history) m(static_cast<Eigen::Index>(s), e.epoch - 1) = e.*field;
  return m;
}

std::string margin_text(const std::vector<nw::LearnerResult>& runs) {
  std::string t;
  for (std::size_t s = 0; s < runs.size(); ++s) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo, lo_ms = lo, hi_ms = -lo;
    for (const auto& e : runs[s].history)
      if (e.updated) {
        lo = std::min(lo, e.margin), hi = std::max(hi, e.margin);
        lo_ms = std::min(lo_ms, e.margin_mean_square), hi_ms = std::max(hi_ms, e.margin_mean_square);
      }
    const auto c = first_margin_crossing(runs[s].history, false), cm = first_margin_crossing(runs[s].history, true);
    t += (t.empty() ? "" : "; ") + std::string("seed ") + std::to_string(s) + " " + nw::to_string(runs[s].status) + ": margin " +
         format_number(lo, 3) + ".." + format_number(hi, 3) + ", mean-square margin " + format_number(lo_ms, 3) + ".." +
         format_number(hi_ms, 3);
    if (c.epoch > 0) t += ", margin first above 1 in epoch " + std::to_string(c.epoch) + " (" + format_number(c.margin, 3) + ")";
    if (cm.epoch > 0)
      t += ", mean-square margin first above 1 in epoch " + std::to_string(cm.epoch) + " (" + format_number(cm.margin, 3) + ")";
    if (runs[s].status == nw::TrainStatus::diverged)
      t += ", diverged in epoch " + std::to_string(runs[s].history.back().epoch);
  }
  return t;
}

// C8's options, read once from the [c8] table (the learner's own keys: learner_options_from_config).
struct C8Options {
  nw::LearnerOptions learner;
  int seeds = 2;
  std::vector<double> baseline_lrs;
  double baseline_momentum = 0.9;
  std::size_t validation = 1000;
  double accuracy_budget = 0.01;
  double null_deficit = 0.05;
  std::string variant, mu_rule, formula;

  static C8Options from(const Config& c) {
    C8Options o;
    o.learner = learner_options_from_config(c, "c8");
    o.seeds = static_cast<int>(c.integer("c8.seeds", 2));
    o.baseline_lrs = c.numbers("c8.baseline_lrs", {0.003, 0.01, 0.03, 0.1, 0.3});
    o.baseline_momentum = c.number("c8.baseline_momentum", 0.9);
    o.validation = static_cast<std::size_t>(c.integer("c8.validation", 1000));
    o.accuracy_budget = c.number("c8.accuracy_budget", 0.01);
    o.null_deficit = c.number("c8.null_deficit", 0.05);
    o.variant = c.text("c8.variant", "ssgdm");
    o.mu_rule = c.text("c8.mu_rule", "minimum");
    o.formula = c.text("c8.momentum_formula", "polyak");
    if (!(o.accuracy_budget >= 0))
      throw InvalidInput("c8.accuracy_budget is " + format_number(o.accuracy_budget) + ", but must be >= 0.");
    if (!(o.null_deficit > 0))
      throw InvalidInput("c8.null_deficit is " + format_number(o.null_deficit) + ", but must be > 0.");
    return o;
  }
};

// SGD with momentum and a constant rate, tuned over the grid: validation and test accuracy per
// (rate, seed); a diverged run counts as accuracy 0.
struct BaselineGrid {
  Eigen::MatrixXd validation, test;
  Eigen::Index best = 0;  // the rate with the best mean validation accuracy
};

BaselineGrid tune_baseline(const C8Options& o, const ClaimData& d, const nw::DataSplits& fit, const nw::DataSplits& val,
                           std::uint64_t seed) {
  const auto& lrs = o.baseline_lrs;
  BaselineGrid g;
  g.validation.resize(static_cast<Eigen::Index>(lrs.size()), o.seeds);
  g.test.resize(static_cast<Eigen::Index>(lrs.size()), o.seeds);
  for (std::size_t i = 0; i < lrs.size(); ++i)
    for (int s = 0; s < o.seeds; ++s) {
      nw::Model m = nw::Model::create(d.model.spec(), d.model.device());
      nw::TrainOptions t;
      t.epochs = o.learner.epochs;
      t.batch_size = o.learner.batch_size;
      t.lr = lrs[i];
      t.momentum = o.baseline_momentum;
      t.weight_decay = o.learner.weight_decay;
      t.schedule = nw::LrSchedule::constant;
      t.evaluate_test = false;
      t.seed = seed + static_cast<std::uint64_t>(s);
      const auto tr = nw::train(m, fit, t);
      const bool ok = tr.status != nw::TrainStatus::diverged;
      const auto i_ = static_cast<Eigen::Index>(i);
      g.validation(i_, s) = ok ? nw::evaluate(m, val.test, d.data.test_transform, 1000).accuracy : 0.0;
      g.test(i_, s) = ok ? nw::evaluate(m, d.data.test, d.data.test_transform, 1000).accuracy : 0.0;
    }
  g.validation.rowwise().mean().maxCoeff(&g.best);
  return g;
}

// The learner's per-epoch record: seed 0 as series (NaN margins in epochs without an update),
// every seed as a matrix.
void store_learner_history(ClaimResult& r, const std::vector<nw::LearnerResult>& runs, int epochs) {
  const auto& h0 = runs.front().history;
  auto col = [&](double nw::LearnerEpoch::*f) {
    std::vector<double> v;
    for (const auto& e : h0) v.push_back(e.*f);
    return v;
  };
  std::vector<double> ep, upd;
  for (const auto& e : h0) {
    ep.push_back(e.epoch);
    upd.push_back(e.updated ? 1.0 : 0.0);
  }
  r.series["learner_epoch"] = ep;
  r.series["learner_updated"] = upd;
  r.series["learner_lr"] = col(&nw::LearnerEpoch::lr);
  r.series["learner_momentum"] = col(&nw::LearnerEpoch::momentum);
  r.series["learner_L"] = col(&nw::LearnerEpoch::L);
  r.series["learner_mu"] = col(&nw::LearnerEpoch::mu);
  r.series["learner_v_phi"] = col(&nw::LearnerEpoch::v_phi);
  r.series["learner_kappa"] = col(&nw::LearnerEpoch::kappa);
  r.series["learner_lambda_mean_square"] = col(&nw::LearnerEpoch::lambda_mean_square);
  r.series["learner_margin"] = col(&nw::LearnerEpoch::margin);
  r.series["learner_margin_mean_square"] = col(&nw::LearnerEpoch::margin_mean_square);
  r.series["learner_train_loss"] = col(&nw::LearnerEpoch::train_loss);
  r.matrices["learner_margin_per_seed"] = per_seed(runs, epochs, &nw::LearnerEpoch::margin);
  r.matrices["learner_margin_mean_square_per_seed"] = per_seed(runs, epochs, &nw::LearnerEpoch::margin_mean_square);
  r.matrices["learner_v_phi_per_seed"] = per_seed(runs, epochs, &nw::LearnerEpoch::v_phi);
  r.matrices["learner_L_per_seed"] = per_seed(runs, epochs, &nw::LearnerEpoch::L);
  r.matrices["learner_lr_per_seed"] = per_seed(runs, epochs, &nw::LearnerEpoch::lr);
  r.matrices["learner_momentum_per_seed"] = per_seed(runs, epochs, &nw::LearnerEpoch::momentum);
}

// A diverged learner: the first diverged seed's epoch of divergence, its last margins and the
// epochs where they first exceeded 1 (-1: never); the count of diverged runs.
void store_divergence(ClaimResult& r, const std::vector<nw::LearnerResult>& runs) {
  int diverged = 0;
  for (std::size_t s = 0; s < runs.size(); ++s) {
    if (runs[s].status != nw::TrainStatus::diverged) continue;
    if (diverged++ > 0) continue;
    const auto& h = runs[s].history;
    double last = std::numeric_limits<double>::quiet_NaN(), last_ms = last;
    for (const auto& e : h)
      if (e.updated) last = e.margin, last_ms = e.margin_mean_square;
    const auto c1 = first_margin_crossing(h, false), c2 = first_margin_crossing(h, true);
    r.scalars["diverged_seed"] = static_cast<double>(s);
    r.scalars["diverged_epoch"] = h.back().epoch;
    r.scalars["diverged_margin"] = last;
    r.scalars["diverged_margin_mean_square"] = last_ms;
    r.scalars["margin_crossing_epoch"] = c1.epoch;
    r.scalars["margin_mean_square_crossing_epoch"] = c2.epoch;
  }
  r.scalars["learner_diverged_runs"] = diverged;
}

// The claim "not worse than tuned SGD": prediction = the tuned baseline's accuracy, null = a
// learner worse by null_deficit, both judged with tolerance 4 se + budget
// (verify::judge_against_null); a learner better than the baseline beyond the tolerance agrees
// (the claim is one-sided). Returns the rule's sentence.
std::string judge_learner(ClaimResult& r, const C8Options& o, double baseline, double learner, double se) {
  if (!(std::isfinite(se) && se > 0)) {
    r.verdict = Verdict::inconclusive;
    return "inconclusive: no between-seed standard error (" + std::to_string(o.seeds) +
           " seed(s) with no spread); the data cannot decide";
  }
  const Judgement j = judge_against_null(baseline, baseline - o.null_deficit, learner, se, o.accuracy_budget);
  r.scalars["z_null"] = j.z_null;
  r.scalars["tolerance"] = j.tolerance;
  if (j.verdict == Verdict::disagrees && learner > baseline) {
    r.verdict = Verdict::agrees;
    return "the learner is better than tuned SGD by more than the tolerance " + format_number(j.tolerance, 3) +
           " (z = " + format_number(j.z, 3) + "): agrees, the claim being one-sided";
  }
  r.verdict = j.verdict;
  return to_string(j.verdict) + ": " + j.rule;
}

}  // namespace

ClaimResult claim_spectrum_learner(const Config& c, std::uint64_t seed) {
  const auto t0 = Clock::now();
  ClaimResult r = named_claim("C8", "spectrum-driven learner (Lanczos on a curvature subset) vs SGD with a tuned constant learning rate");
  ClaimData d;
  if (!load_or_explain(r, d, c, "c8", seed, "lenet", 4096, 2000)) return r;
  const C8Options o = C8Options::from(c);
  const nw::LearnerOptions& lo0 = o.learner;
  const int epochs = lo0.epochs;
  const std::int64_t B = lo0.batch_size;
  const auto& lrs = o.baseline_lrs;
  // Validation split for the baseline's tuning: the last `validation` items of a seeded
  // permutation of the training subset; both methods train on the rest, from initialisation (the
  // authors' learner does): a fresh model per run.
  const std::size_t N = d.data.train.size();
  if (o.validation >= N) throw InvalidInput("c8.validation must be below the training size " + std::to_string(N) + ".");
  auto perm = RandomStream(seed, 0x56414c00).permutation(N);
  nw::DataSplits fit = d.data, val = d.data;
  const auto split = perm.end() - static_cast<std::ptrdiff_t>(o.validation);
  fit.train = d.data.train.subset(std::vector<std::size_t>(perm.begin(), split));
  val.test = d.data.train.subset(std::vector<std::size_t>(split, perm.end()));
  const BaselineGrid base = tune_baseline(o, d, fit, val, seed);
  // Learner: one run per seed, with the stability diagnosis of every update.
  const auto rule = make_learner_rule(o.variant, o.mu_rule, o.formula);
  const auto margins = make_learner_margin_rule();
  std::vector<double> learn_test;
  std::vector<nw::LearnerResult> runs;
  std::string status;
  for (int s = 0; s < o.seeds; ++s) {
    nw::Model m = nw::Model::create(d.model.spec(), d.model.device());
    nw::LearnerOptions lo = lo0;
    lo.seed = seed + static_cast<std::uint64_t>(s);
    runs.push_back(nw::train_with_learner(m, fit, lo, rule, margins));
    const auto& res = runs.back();
    learn_test.push_back(res.status == nw::TrainStatus::complete ? res.history.back().test_accuracy : 0.0);
    status += (status.empty() ? "" : ",") + nw::to_string(res.status);
  }
  const Eigen::VectorXd bt = base.test.row(base.best).transpose();
  const auto ls = summarize(learn_test);
  const auto bs = summarize(std::vector<double>(bt.data(), bt.data() + bt.size()));
  // Standard error of the difference of the two means: between-seed, from verify/statistics.
  const double se = std::sqrt(ls.stderr_ * ls.stderr_ + bs.stderr_ * bs.stderr_);
  r.prediction = bs.mean;
  r.measurement = ls.mean;
  r.stderr_ = se;
  r.z = z_score(bs.mean, ls.mean, se);
  const std::string rule_text = judge_learner(r, o, bs.mean, ls.mean, se);
  r.scalars["accuracy_budget"] = o.accuracy_budget;
  r.scalars["null_deficit"] = o.null_deficit;
  r.scalars["raw_z"] = r.z;
  r.series["baseline_lrs"] = lrs;
  r.matrices["baseline_validation_accuracy"] = base.validation;
  r.matrices["baseline_test_accuracy"] = base.test;
  r.series["learner_test_accuracy"] = learn_test;
  store_learner_history(r, runs, epochs);
  store_divergence(r, runs);
  double curv_s = 0, noise_s = 0;
  for (const auto& run : runs)
    for (const auto& e : run.history) curv_s += e.curvature_seconds, noise_s += e.noise_seconds;
  r.scalars["learner_curvature_seconds"] = curv_s;  // Lanczos + V_phi, every seed
  r.scalars["learner_noise_seconds"] = noise_s;     // the V_phi part
  r.scalars["warmstart"] = lo0.warmstart;
  r.scalars["lr_init"] = lo0.lr_init;
  const double best_lr = lrs[static_cast<std::size_t>(base.best)];
  r.scalars["baseline_best_lr"] = best_lr;
  r.scalars["baseline_trials"] = static_cast<double>(lrs.size());
  r.scalars["learner_trials"] = 1.0;
  r.scalars["baseline_test_accuracy"] = bs.mean;
  r.scalars["learner_test_accuracy"] = ls.mean;
  r.scalars["baseline_test_accuracy_se"] = bs.stderr_;
  r.scalars["learner_test_accuracy_se"] = ls.stderr_;
  r.labels["learner"] = o.variant + ", mu rule " + o.mu_rule + ", momentum formula " + o.formula;
  r.labels["learner_status"] = status;
  r.labels["curvature_batchnorm"] = nw::to_string(lo0.curvature.batchnorm);
  r.labels["noise_batchnorm"] = runs.front().noise_batchnorm;
  const std::string warm =
      lo0.warmstart > 0 ? "warm start: epochs 0.." + std::to_string(lo0.warmstart - 1) + " at lr_init " +
                              format_number(lo0.lr_init) + ", momentum " + format_number(lo0.momentum_init) + "; "
                        : std::string("no warm start; ");
  r.note = d.description + "; " + std::to_string(epochs) + " epochs from initialisation, B = " + std::to_string(B) + ", " +
           std::to_string(o.seeds) + " seeds; learner " + o.variant + " (" + o.mu_rule + " rule, " + o.formula +
           " momentum, Lanczos " + std::to_string(lo0.curvature_steps) + " steps on " + std::to_string(lo0.curvature_batch) +
           " items every " + std::to_string(lo0.curvature_every) + " epoch(s), " + nw::to_string(lo0.curvature.batchnorm) +
           "-mode BatchNorm; " + warm + "test accuracy " + format_number(ls.mean) + " (" + status + "); SGD (momentum " +
           format_number(o.baseline_momentum) + ", constant lr) tuned over " + std::to_string(lrs.size()) + " rates on a " +
           std::to_string(o.validation) + "-item validation split: best lr " + format_number(best_lr) +
           ", test accuracy " + format_number(bs.mean) + "; difference " + format_number(ls.mean - bs.mean, 3) +
           ", between-seed se " + format_number(se, 2) + ", raw z " + format_number(r.z, 3) + " beside the budget " +
           format_number(o.accuracy_budget, 3) + " (null: learner worse by " + format_number(o.null_deficit, 3) + "); " +
           rule_text + ". Stability margins lr L/(2(1+rho)) and lr (L + kappa_B V_phi/L)/(2(1+rho)) at B = " +
           std::to_string(B) + " (heavy ball stable below 1): " + margin_text(runs) + ".";
  r.seconds = seconds_since(t0);
  return r;
}

#else

ClaimResult claim_spectrum_learner(const Config&, std::uint64_t) {
  return without_libtorch("C8", "spectrum-driven learner vs tuned SGD", "train");
}

#endif

}  // namespace batchrmt::verify
