// The on-the-fly spectrum-driven learner (docs/learner.md; docs/theory.md §6.4 [CODE], Polyak's rates
// §2.7 [STD]). No LibTorch in this header.
//
// Training is SGD (PyTorch SGD: heavy-ball momentum, L2 weight decay in the optimiser) with the
// data order of `batchrmt train` (epoch e visits RandomStream(seed, kOrderStream + e).permutation(N)
// in batches of batch_size, the last smaller batch kept; augmentation from kAugmentStream + e).
// Before epoch e, when e >= warmstart and e % curvature_every == 0:
//   1. Lanczos with `curvature_steps` (20) steps, full reorthogonalisation, a Gaussian start from
//      RandomStream(curvature_seed, kLearnerLanczosStream + e), on the Hessian of the mean loss over
//      a FIXED subset of `curvature_batch` (32) training items chosen once (the first items of
//      RandomStream(curvature_seed, kSubsetStream).permutation(N); the authors' seed is 5),
//      test-time transform, eval-mode BatchNorm;
//   2. `rule(ritz, weights)` gives L, mu, lr and momentum (networks/ does not link theory/: the
//      caller passes theory::spectrum_learner_rates, see verify::make_learner_rule);
//   3. lr and momentum of the optimiser are set to the result until the next update;
//   4. with a margin rule (the overload below; verify::make_learner_margin_rule passes theory/'s
//      formulas): the stability diagnosis of the update. phi = the Ritz vector of the Ritz value
//      of largest modulus (|theta| = L); V_phi = (1/S) sum_{i in S} ||h_i phi - H_S phi||^2 over
//      the S = curvature_batch items of the subset (docs/theory.md §5.7, per-sample HVPs; eval-mode
//      BatchNorm, since per-sample Hessians are undefined in train mode, §5.3: with
//      curvature.batchnorm = train, L comes from the train-mode matrix and V_phi from the
//      eval-mode one, recorded as noise_batchnorm); then margin_rule({L, lr, momentum, V_phi,
//      batch_size, N}) gives kappa_B, the mean-square top L + kappa_B V_phi / L and the margins
//      lr L / (2(1 + rho)) and lr (L + kappa_B V_phi / L) / (2(1 + rho)) (heavy ball, §2.7:
//      stable on the quadratic iff the margin is below 1).
// Before the first update (epochs below warmstart), lr_init and momentum_init are used. Every
// update (Ritz values, weights, L, mu, lr, momentum, deleted count, V_phi, margins) is in the
// history; epochs without an update carry NaN margins.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "networks/curvature.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "networks/training_kinds.hpp"

namespace batchrmt::networks {

inline constexpr std::uint64_t kLearnerLanczosStream = 0x4c200000;  // + epoch

struct LearnerRates {
  double L = 0, mu = 0, lr = 0, momentum = 0;
  int deleted = 0;
};
using LearnerRule = std::function<LearnerRates(const std::vector<double>& ritz, const std::vector<double>& weights)>;

// Stability margins of an update (step 4 above).
struct LearnerMarginInput {
  double L = 0, lr = 0, momentum = 0, v_phi = 0;
  std::int64_t batch_size = 0;  // the training batch size B
  std::int64_t population = 0;  // N, the training-set size
};
struct LearnerMargins {
  double kappa = 0;               // kappa_B = (N - B) / (B (N - 1))
  double lambda_mean_square = 0;  // L + kappa_B V_phi / L
  double margin = 0;              // lr L / (2 (1 + rho))
  double margin_mean_square = 0;  // lr lambda_mean_square / (2 (1 + rho))
};
using LearnerMarginRule = std::function<LearnerMargins(const LearnerMarginInput&)>;

struct LearnerOptions {
  int epochs = 5;
  std::int64_t batch_size = 128;
  int curvature_every = 1;
  std::size_t curvature_steps = 20;
  std::size_t curvature_batch = 32;
  int warmstart = -1;
  std::uint64_t curvature_seed = 5;
  double lr_init = 0.05, momentum_init = 0.0;  // before the first update
  double weight_decay = 0.0;
  std::int64_t eval_batch_size = 1000;
  bool evaluate_test = true;
  std::uint64_t seed = 0;  // data order
  CurvatureOptions curvature;  // Hessian, eval BN (the authors' learner: train-mode BN, one forward over the subset)
  bool keep_ritz_vectors = false;  // keep phi of every update in LearnerEpoch::phi (tests; P doubles each)

  void validate() const;
};

struct LearnerEpoch {
  int epoch = 0;  // 1-based: epochs completed
  bool updated = false;  // the curvature was measured before this epoch
  std::vector<double> ritz, weights;  // of the update (empty when not updated)
  double L = 0, mu = 0;
  int deleted = 0;
  double lr = 0, momentum = 0;  // in force during the epoch
  double train_loss = 0, train_accuracy = 0;
  double test_loss = 0, test_accuracy = 0;  // NaN when not evaluated
  double curvature_seconds = 0, seconds = 0;
  // Stability diagnosis of the update (step 4; NaN without an update or without a margin rule).
  double ritz_top = 0;  // the Ritz value of largest modulus (signed; |ritz_top| = L)
  double v_phi = 0, kappa = 0, lambda_mean_square = 0, margin = 0, margin_mean_square = 0;
  double noise_seconds = 0;  // the V_phi part of curvature_seconds
  std::vector<double> phi;  // the top Ritz vector, only with LearnerOptions::keep_ritz_vectors
};

struct LearnerResult {
  TrainStatus status = TrainStatus::complete;  // complete or diverged (never stopped)
  std::vector<LearnerEpoch> history;
  std::vector<std::size_t> curvature_indices;
  std::string noise_batchnorm;  // BatchNorm mode of the V_phi products ("eval"), empty without a margin rule
};

// Trains `model` in place. `on_epoch` (may be empty) sees each finished epoch. With a (non-empty)
// margin rule every update also measures V_phi and its margins (step 4).
LearnerResult train_with_learner(Model& model, const DataSplits& data, const LearnerOptions& options,
                                 const LearnerRule& rule, const LearnerMarginRule& margin_rule,
                                 const std::function<void(const LearnerEpoch&)>& on_epoch = {});
// Without the diagnosis: V_phi and the margins stay NaN.
LearnerResult train_with_learner(Model& model, const DataSplits& data, const LearnerOptions& options,
                                 const LearnerRule& rule,
                                 const std::function<void(const LearnerEpoch&)>& on_epoch = {});

}  // namespace batchrmt::networks
