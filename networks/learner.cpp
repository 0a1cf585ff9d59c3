// The spectrum-driven learner (learner.hpp; docs/theory.md §6.4).
#include "networks/learner.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"
#include "networks/device_lanczos.hpp"
#include "networks/epoch_steps.hpp"
#include "networks/torch_bridge.hpp"
#include "networks/training.hpp"
#include "spectral/lanczos.hpp"

namespace batchrmt::networks {

void LearnerOptions::validate() const {
  const char* f = "learn";
  check_at_least(f, "epochs", epochs, 1);
  check_at_least(f, "batch_size", batch_size, std::int64_t{1});
  check_at_least(f, "curvature_every", curvature_every, 1);
  check_at_least(f, "curvature_steps", curvature_steps, std::size_t{2});
  check_at_least(f, "curvature_batch", curvature_batch, std::size_t{1});
  check_positive(f, "lr_init", lr_init);
  check_nonnegative(f, "momentum_init", momentum_init);
  check_nonnegative(f, "weight_decay", weight_decay);
  check_at_least(f, "eval_batch_size", eval_batch_size, std::int64_t{1});
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Step 4 of learner.hpp: phi = the Ritz vector of largest |theta|, V_phi over the curvature
// subset (eval-mode BN), and the margins of the rule.
void diagnose_update(LearnerEpoch& rec, const Model& model, const DataSplits& data, const CurvatureOperator& op,
                     const spectral::LanczosResult& lz, const LearnerMarginRule& margin_rule, const LearnerOptions& o) {
  const std::size_t N = data.train.size();
  const auto tn = std::chrono::steady_clock::now();
  Eigen::Index col = -1;
  double best = -1.0;
  for (std::size_t k = 0; k < lz.ritz_vector_indices.size(); ++k) {
    const double t = lz.ritz_values[lz.ritz_vector_indices[k]];
    if (std::abs(t) > best) {
      best = std::abs(t);
      col = static_cast<Eigen::Index>(k);
      rec.ritz_top = t;
    }
  }
  if (col < 0) throw NumericalFailure("learn: Lanczos returned no Ritz vector for the stability margin.");
  Eigen::VectorXd phi = lz.ritz_vectors.col(col);
  phi.normalize();
  CurvatureOptions eval = op.options();
  eval.batchnorm = BatchNormPolicy::eval;
  const CurvatureOperator noise_op =
      op.options().batchnorm == BatchNormPolicy::eval
          ? op
          : CurvatureOperator(model, data.train, data.test_transform, op.indices(), eval);
  const NoiseEstimate ne = estimate_noise(noise_op, phi, {}, noise_op.indices());
  rec.v_phi = ne.v_phi;
  const LearnerMargins m =
      margin_rule(LearnerMarginInput{rec.L, rec.lr, rec.momentum, rec.v_phi, o.batch_size, static_cast<std::int64_t>(N)});
  rec.kappa = m.kappa;
  rec.lambda_mean_square = m.lambda_mean_square;
  rec.margin = m.margin;
  rec.margin_mean_square = m.margin_mean_square;
  if (o.keep_ritz_vectors) rec.phi.assign(phi.data(), phi.data() + phi.size());
  rec.noise_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tn).count();
}

}  // namespace

LearnerResult train_with_learner(Model& model, const DataSplits& data, const LearnerOptions& o, const LearnerRule& rule,
                                 const std::function<void(const LearnerEpoch&)>& on_epoch) {
  return train_with_learner(model, data, o, rule, LearnerMarginRule{}, on_epoch);
}

LearnerResult train_with_learner(Model& model, const DataSplits& data, const LearnerOptions& o, const LearnerRule& rule,
                                 const LearnerMarginRule& margin_rule,
                                 const std::function<void(const LearnerEpoch&)>& on_epoch) {
  o.validate();
  if (!rule) throw InvalidInput("learn: no learning-rate rule was given.");
  const std::size_t N = data.train.size();
  if (N == 0) throw InvalidInput("learn: the training set is empty.");
  if (o.curvature_batch > N)
    throw InvalidInput("learn: the curvature batch of " + std::to_string(o.curvature_batch) + " exceeds the " +
                       std::to_string(N) + " training items.");
  LearnerResult result;
  result.status = TrainStatus::complete;
  result.curvature_indices = batch_indices(N, o.curvature_batch, o.curvature_seed, kSubsetStream);
  if (margin_rule) result.noise_batchnorm = to_string(BatchNormPolicy::eval);

  auto params = model_parameters(model);
  torch::optim::SGD opt(params, torch::optim::SGDOptions(o.lr_init).momentum(o.momentum_init).weight_decay(o.weight_decay));
  auto set_rates = [&](double lr, double momentum) {
    for (auto& g : opt.param_groups()) {
      auto& so = static_cast<torch::optim::SGDOptions&>(g.options());
      so.lr(lr);
      so.momentum(momentum);
    }
  };
  double lr = o.lr_init, momentum = o.momentum_init;
  auto& net = network(model);
  const std::size_t B = static_cast<std::size_t>(o.batch_size);
  const std::size_t steps = (N + B - 1) / B;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    LearnerEpoch rec;
    rec.epoch = epoch + 1;
    rec.ritz_top = rec.v_phi = rec.kappa = rec.lambda_mean_square = rec.margin = rec.margin_mean_square = kNaN;
    if (epoch >= o.warmstart && epoch % o.curvature_every == 0) {
      const auto tc = std::chrono::steady_clock::now();
      const CurvatureOperator op(model, data.train, data.test_transform, result.curvature_indices, o.curvature);
      spectral::LanczosOptions lo;
      lo.steps = std::min<std::size_t>(o.curvature_steps, static_cast<std::size_t>(op.rows()));
      lo.start = spectral::StartVector::Gaussian;
      lo.seed = o.curvature_seed;
      lo.stream = kLearnerLanczosStream + static_cast<std::uint64_t>(epoch);
      if (margin_rule) lo.vectors_top = lo.vectors_bottom = 1;  // phi: the larger in modulus of the two
      const auto lz = curvature_lanczos(op, lo, LanczosBasisPlacement::automatic);  // the GPU on cuda
      rec.ritz = lz.ritz_values;
      rec.weights = lz.weights;
      const LearnerRates r = rule(rec.ritz, rec.weights);
      if (!(std::isfinite(r.lr) && r.lr > 0) || !(std::isfinite(r.momentum) && r.momentum >= 0 && r.momentum < 1))
        throw NumericalFailure("learn: the rule gave lr " + std::to_string(r.lr) + " and momentum " +
                               std::to_string(r.momentum) + " at epoch " + std::to_string(epoch) +
                               "; they must be positive and in [0, 1).");
      rec.updated = true;
      rec.L = r.L;
      rec.mu = r.mu;
      rec.deleted = r.deleted;
      lr = r.lr;
      momentum = r.momentum;
      rec.lr = lr;
      rec.momentum = momentum;
      if (margin_rule) diagnose_update(rec, model, data, op, lz, margin_rule, o);
      rec.curvature_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tc).count();
    }
    set_rates(lr, momentum);
    rec.lr = lr;
    rec.momentum = momentum;
    net.train();
    const auto t0 = std::chrono::steady_clock::now();
    const EpochSteps sums = run_epoch_steps(model, opt, data, {o.seed, epoch, B, steps});
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rec.train_loss = sums.mean_loss();
    rec.train_accuracy = sums.accuracy();
    rec.test_loss = rec.test_accuracy = std::numeric_limits<double>::quiet_NaN();
    if (sums.diverged) {
      result.status = TrainStatus::diverged;
      result.history.push_back(rec);
      if (on_epoch) on_epoch(rec);
      break;
    }
    if (o.evaluate_test && data.test.size() > 0) {
      const auto e = evaluate(model, data.test, data.test_transform, o.eval_batch_size);
      rec.test_loss = e.loss;
      rec.test_accuracy = e.accuracy;
    }
    result.history.push_back(rec);
    if (on_epoch) on_epoch(rec);
  }
  return result;
}

}  // namespace batchrmt::networks
