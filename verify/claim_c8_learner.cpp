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
    t += (t.empty() ? "" : "; ") + std::string("seed ") + std::to_string(s) + " " + runs[s].status + ": margin " +
         format_number(lo, 3) + ".." + format_number(hi, 3) + ", mean-square margin " + format_number(lo_ms, 3) + ".." +
         format_number(hi_ms, 3);
    if (c.epoch > 0) t += ", margin first above 1 in epoch " + std::to_string(c.epoch) + " (" + format_number(c.margin, 3) + ")";
    if (cm.epoch > 0)
      t += ", mean-square margin first above 1 in epoch " + std::to_string(cm.epoch) + " (" + format_number(cm.margin, 3) + ")";
    if (runs[s].status == "diverged")
      t += ", diverged in epoch " + std::to_string(runs[s].history.back().epoch);
  }
  return t;
}

}  // namespace

ClaimResult claim_spectrum_learner(const Config& c, std::uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  ClaimResult r;
  r.id = "C8";
  r.name = "spectrum-driven learner (Lanczos on a curvature subset) vs SGD with a tuned constant learning rate";
  ClaimData d;
  if (!load_or_explain(r, d, c, "c8", seed, "lenet", 4096, 2000)) return r;
  const nw::LearnerOptions lo0 = learner_options_from_config(c, "c8");
  const int epochs = lo0.epochs;
  const std::int64_t B = lo0.batch_size;
  const int seeds = static_cast<int>(c.integer("c8.seeds", 2));
  const auto lrs = c.numbers("c8.baseline_lrs", {0.003, 0.01, 0.03, 0.1, 0.3});
  const double base_momentum = c.number("c8.baseline_momentum", 0.9);
  const std::size_t validation = static_cast<std::size_t>(c.integer("c8.validation", 1000));
  const double budget = c.number("c8.accuracy_budget", 0.01);
  const double null_deficit = c.number("c8.null_deficit", 0.05);
  const std::string variant = c.text("c8.variant", "ssgdm");
  const std::string mu_rule = c.text("c8.mu_rule", "minimum");
  const std::string formula = c.text("c8.momentum_formula", "polyak");
  if (!(budget >= 0)) throw InvalidInput("c8.accuracy_budget is " + format_number(budget) + ", but must be >= 0.");
  if (!(null_deficit > 0)) throw InvalidInput("c8.null_deficit is " + format_number(null_deficit) + ", but must be > 0.");
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
  // Both methods train from initialisation (the authors' learner does): a fresh model per run.
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
      t.weight_decay = lo0.weight_decay;
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
  // Learner: one run per seed, with the stability diagnosis of every update.
  const auto rule = make_learner_rule(variant, mu_rule, formula);
  const auto margins = make_learner_margin_rule();
  std::vector<double> learn_test;
  std::vector<nw::LearnerResult> runs;
  std::string status;
  for (int s = 0; s < seeds; ++s) {
    nw::Model m = fresh();
    nw::LearnerOptions lo = lo0;
    lo.seed = seed + static_cast<std::uint64_t>(s);
    runs.push_back(nw::train_with_learner(m, fit, lo, rule, margins));
    const auto& res = runs.back();
    learn_test.push_back(res.status == "complete" ? res.history.back().test_accuracy : 0.0);
    status += (status.empty() ? "" : ",") + res.status;
  }
  const Eigen::VectorXd bt = base_test.row(best).transpose();
  const auto ls = summarize(learn_test);
  const auto bs = summarize(std::vector<double>(bt.data(), bt.data() + bt.size()));
  // Standard error of the difference of the two means: between-seed, from verify/statistics.
  const double se = std::sqrt(ls.stderr_ * ls.stderr_ + bs.stderr_ * bs.stderr_);
  r.prediction = bs.mean;
  r.measurement = ls.mean;
  r.stderr_ = se;
  r.z = raw_z(bs.mean, ls.mean, se);
  // The claim "not worse than tuned SGD": prediction = the tuned baseline's accuracy, null = a
  // learner worse by null_deficit, both judged with tolerance 4 se + budget
  // (verify::judge_against_null); a learner better than the baseline beyond the tolerance agrees
  // (the claim is one-sided).
  std::string rule_text;
  if (!(std::isfinite(se) && se > 0)) {
    r.verdict = Verdict::inconclusive;
    rule_text = "inconclusive: no between-seed standard error (" + std::to_string(seeds) +
                " seed(s) with no spread); the data cannot decide";
  } else {
    const Judgement j = judge_against_null(bs.mean, bs.mean - null_deficit, ls.mean, se, budget);
    r.scalars["z_null"] = j.z_null;
    r.scalars["tolerance"] = j.tolerance;
    if (j.verdict == Verdict::disagrees && ls.mean > bs.mean) {
      r.verdict = Verdict::agrees;
      rule_text = "the learner is better than tuned SGD by more than the tolerance " + format_number(j.tolerance, 3) +
                  " (z = " + format_number(j.z, 3) + "): agrees, the claim being one-sided";
    } else {
      r.verdict = j.verdict;
      rule_text = to_string(j.verdict) + ": " + j.rule;
    }
  }
  r.scalars["accuracy_budget"] = budget;
  r.scalars["null_deficit"] = null_deficit;
  r.scalars["raw_z"] = r.z;
  r.series["baseline_lrs"] = lrs;
  r.matrices["baseline_validation_accuracy"] = base_val;
  r.matrices["baseline_test_accuracy"] = base_test;
  r.series["learner_test_accuracy"] = learn_test;
  // Per epoch of seed 0 (NaN margins in epochs without an update), and every seed as a matrix.
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
  // A diverged learner: the first diverged seed's epoch of divergence, its last margins and the
  // epochs where they first exceeded 1 (-1: never).
  int diverged = 0;
  for (std::size_t s = 0; s < runs.size(); ++s) {
    if (runs[s].status != "diverged") continue;
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
  double curv_s = 0, noise_s = 0;
  for (const auto& run : runs)
    for (const auto& e : run.history) curv_s += e.curvature_seconds, noise_s += e.noise_seconds;
  r.scalars["learner_curvature_seconds"] = curv_s;  // Lanczos + V_phi, every seed
  r.scalars["learner_noise_seconds"] = noise_s;     // the V_phi part
  r.scalars["warmstart"] = lo0.warmstart;
  r.scalars["lr_init"] = lo0.lr_init;
  r.scalars["baseline_best_lr"] = lrs[static_cast<std::size_t>(best)];
  r.scalars["baseline_trials"] = static_cast<double>(lrs.size());
  r.scalars["learner_trials"] = 1.0;
  r.scalars["baseline_test_accuracy"] = bs.mean;
  r.scalars["learner_test_accuracy"] = ls.mean;
  r.scalars["baseline_test_accuracy_se"] = bs.stderr_;
  r.scalars["learner_test_accuracy_se"] = ls.stderr_;
  r.labels["learner"] = std::string(variant) + ", mu rule " + mu_rule + ", momentum formula " + formula;
  r.labels["learner_status"] = status;
  r.labels["curvature_batchnorm"] = nw::to_string(lo0.curvature.batchnorm);
  r.labels["noise_batchnorm"] = runs.front().noise_batchnorm;
  const std::string warm =
      lo0.warmstart > 0 ? "warm start: epochs 0.." + std::to_string(lo0.warmstart - 1) + " at lr_init " +
                              format_number(lo0.lr_init) + ", momentum " + format_number(lo0.momentum_init) + "; "
                        : std::string("no warm start; ");
  r.note = d.description + "; " + std::to_string(epochs) + " epochs from initialisation, B = " + std::to_string(B) + ", " +
           std::to_string(seeds) + " seeds; learner " + variant + " (" + mu_rule + " rule, " + formula +
           " momentum, Lanczos " + std::to_string(lo0.curvature_steps) + " steps on " + std::to_string(lo0.curvature_batch) +
           " items every " + std::to_string(lo0.curvature_every) + " epoch(s), " + nw::to_string(lo0.curvature.batchnorm) +
           "-mode BatchNorm; " + warm + "test accuracy " + format_number(ls.mean) + " (" + status + "); SGD (momentum " +
           format_number(base_momentum) + ", constant lr) tuned over " + std::to_string(lrs.size()) + " rates on a " +
           std::to_string(validation) + "-item validation split: best lr " + format_number(lrs[static_cast<std::size_t>(best)]) +
           ", test accuracy " + format_number(bs.mean) + "; difference " + format_number(ls.mean - bs.mean, 3) +
           ", between-seed se " + format_number(se, 2) + ", raw z " + format_number(r.z, 3) + " beside the budget " +
           format_number(budget, 3) + " (null: learner worse by " + format_number(null_deficit, 3) + "); " + rule_text +
           ". Stability margins lr L/(2(1+rho)) and lr (L + kappa_B V_phi/L)/(2(1+rho)) at B = " + std::to_string(B) +
           " (heavy ball stable below 1): " + margin_text(runs) + ".";
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

#else

ClaimResult claim_spectrum_learner(const Config&, std::uint64_t) {
  return not_measured("C8", "spectrum-driven learner vs tuned SGD",
                      "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to train");
}

#endif

}  // namespace batchrmt::verify
