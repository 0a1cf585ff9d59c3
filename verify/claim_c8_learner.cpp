// C8: the spectrum-driven learner (Lanczos on a curvature subset sets lr and momentum) against
// SGD with a constant learning rate tuned on a validation split (configs [c8]).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "core/rng.hpp"
#include "verify/claim_data.hpp"
#include "verify/learning_rate_claims.hpp"
#include "verify/statistics.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"
#endif

namespace batchrmt::verify {

#ifdef BATCHRMT_WITH_TORCH

namespace nw = batchrmt::networks;

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

#else

ClaimResult claim_spectrum_learner(const Config&, std::uint64_t) {
  return not_measured("C8", "spectrum-driven learner vs tuned SGD",
                      "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to train");
}

#endif

}  // namespace batchrmt::verify
