// The on-the-fly spectrum-driven learner (issue 8 item 3; THEORY.md §6.4 [CODE], Polyak's rates
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
//   3. lr and momentum of the optimiser are set to the result until the next update.
// Before the first update, lr_init and momentum_init are used. Every update (Ritz values,
// weights, L, mu, lr, momentum, deleted count) is in the history.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "networks/curvature.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"

namespace batchrmt::networks {

inline constexpr std::uint64_t kLearnerLanczosStream = 0x4c200000;  // + epoch

struct LearnerRates {
  double L = 0, mu = 0, lr = 0, momentum = 0;
  int deleted = 0;
};
using LearnerRule = std::function<LearnerRates(const std::vector<double>& ritz, const std::vector<double>& weights)>;

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
  CurvatureOptions curvature;  // Hessian, eval BN

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
};

struct LearnerResult {
  std::string status;  // complete | diverged
  std::vector<LearnerEpoch> history;
  std::vector<std::size_t> curvature_indices;
};

// Trains `model` in place. `on_epoch` (may be empty) sees each finished epoch.
LearnerResult train_with_learner(Model& model, const DataSplits& data, const LearnerOptions& options,
                                 const LearnerRule& rule,
                                 const std::function<void(const LearnerEpoch&)>& on_epoch = {});

}  // namespace batchrmt::networks
