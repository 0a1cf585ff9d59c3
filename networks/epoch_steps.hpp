// The optimiser step every training loop of networks/ takes, and the epoch of such steps that
// `train` and `learn` share (docs/networks.md, "Training semantics"). LibTorch types: include only from
// networks/*.cpp.
//
// Batching rules, stated by each caller:
//   - train and learn: epoch e visits RandomStream(seed, kOrderStream + e).permutation(N) in
//     ceil(N / B) batches, the last, shorter one kept (drop_last trims the step count);
//   - lr-sweep: batches of exactly B from consecutive epoch permutations (networks/lr_sweep.cpp),
//     so it takes single steps rather than epochs.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "networks/torch_bridge.hpp"

namespace batchrmt::networks {

// The visiting order of epoch `epoch` (counted from 0): RandomStream(seed, kOrderStream + epoch).
std::vector<std::size_t> epoch_order(std::size_t n, std::uint64_t seed, int epoch);

// One step on the mean cross-entropy of (x, y): zero the gradients, forward, and, when the loss
// is finite, backward and opt.step(). A non-finite loss leaves the weights as they were.
struct BatchStep {
  double loss = 0.0;     // the batch's mean loss before the step
  bool finite = true;    // false: the step was not taken
  torch::Tensor logits;  // the forward's output (before the step)
};
BatchStep optimizer_step(NetworkImpl& net, torch::optim::Optimizer& opt, const torch::Tensor& x,
                         const torch::Tensor& y);

// The sums of one epoch's steps; `diverged` with the step and loss when a batch loss was not finite.
struct EpochSteps {
  double loss_sum = 0.0;  // sum over items of the batch loss (batch mean times batch size)
  std::int64_t correct = 0, seen = 0;
  bool diverged = false;
  std::int64_t diverged_step = 0;
  double diverged_loss = 0.0;

  double mean_loss() const {  // NaN before the first step
    return seen ? loss_sum / static_cast<double>(seen) : std::numeric_limits<double>::quiet_NaN();
  }
  double accuracy() const { return seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0; }
};

// Which epoch, and how many of its batches of `batch_size` to take.
struct EpochPlan {
  std::uint64_t seed = 0;
  int epoch = 0;
  std::size_t batch_size = 1;
  std::size_t steps = 0;  // ceil(N / B), or floor with drop_last
};

// Called after each step taken with the number of steps done (1-based) and the sums so far.
using AfterStep = std::function<void(std::size_t steps_done, const EpochSteps& so_far)>;

// `plan.steps` optimiser steps over data.train in the order of epoch_order(N, seed, epoch), with
// data.train_transform and augmentation drawn from RandomStream(seed, kAugmentStream + epoch).
// Stops at the first non-finite batch loss.
EpochSteps run_epoch_steps(Model& model, torch::optim::Optimizer& opt, const DataSplits& data, const EpochPlan& plan,
                           const AfterStep& after_step = {});

}  // namespace batchrmt::networks
