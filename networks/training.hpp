// Training with checkpoints and bit-identical resume (no LibTorch in this header).
//
// One epoch visits the training split in the order of
//     RandomStream(seed, kOrderStream + epoch).permutation(N)     (epoch counted from 0)
// in batches of `batch_size` (the last, smaller batch is kept unless drop_last); augmentation
// draws come from RandomStream(seed, kAugmentStream + epoch) in visiting order. Both depend
// only on (seed, epoch), so a run resumed from the checkpoint of epoch e sees exactly the data
// of an uninterrupted run. The loss is the mean cross-entropy of the batch; weight decay is the
// optimiser's (L2 for sgd and adam, decoupled for adamw), never part of the loss.
//
// Learning rate of epoch e (0-based, E epochs, docs/theory.md 6.2, [CODE]):
//   paper     t = e / E; factor 1 for t <= 0.5, 1 - (1 - r)(t - 0.5)/0.4 for t <= 0.9,
//             r for t > 0.9, with r = final_ratio (0.01);
//   step      factor gamma^(number of milestones <= e) (default milestones E/2 and 3E/4);
//   constant  factor 1.
// Divergence: a non-finite batch loss stops training at once; the result says where, the
// parameters are left as they were before that step, and no checkpoint is written of them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "networks/training_kinds.hpp"

namespace batchrmt::networks {

inline constexpr std::uint64_t kOrderStream = 0x100000000ull;    // + epoch
inline constexpr std::uint64_t kAugmentStream = 0x200000000ull;  // + epoch

struct TrainOptions {
  int epochs = 10;
  std::int64_t batch_size = 128;
  bool drop_last = false;
  Optimizer optimizer = Optimizer::sgd;
  double lr = 0.01;
  double momentum = 0.9;  // sgd
  bool nesterov = false;  // sgd
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam, adamw
  LrSchedule schedule = LrSchedule::paper;
  double final_ratio = 0.01;                        // paper schedule
  std::vector<int> milestones;                      // step schedule (empty: E/2, 3E/4)
  double gamma = 0.1;                               // step schedule
  int checkpoint_every = 0;  // epochs between checkpoints (0: only the last epoch); epoch 0 is always written
  std::string checkpoint_dir;  // empty: no checkpoints
  bool resume = false;         // continue from the newest checkpoint in checkpoint_dir
  int stop_after = 0;          // stop this invocation after so many epochs (0: run to the end)
  std::int64_t eval_batch_size = 1000;
  bool evaluate_test = true;
  std::uint64_t seed = 0;  // data order and augmentation (the model has its own in ModelSpec)

  void validate() const;  // throws InvalidInput naming the bad value
  // Everything that must match between a run and its resumption (not resume/stop_after).
  std::string serialize() const;
};

struct EpochRecord {
  int epoch = 0;  // 1-based: the number of epochs completed
  double lr = 0;
  double train_loss = 0, train_accuracy = 0;  // averages over the epoch's batches (in train mode)
  double test_loss = 0, test_accuracy = 0;    // after the epoch, eval mode (NaN when not evaluated)
  double seconds = 0;                         // wall time of the epoch's training steps
  double images_per_second = 0;
};

struct StepInfo {
  int epoch = 0;  // 0-based epoch in progress
  std::int64_t step = 0, steps = 0;
  double loss = 0;               // running mean over the epoch so far
  double images_per_second = 0;  // over the epoch so far
};

struct TrainCallbacks {
  std::function<void(const StepInfo&)> on_step;
  // After each epoch (and its checkpoint, if any) with the whole history so far.
  std::function<void(const std::vector<EpochRecord>&)> on_epoch;
  std::function<void(int epoch, const std::string& path)> on_checkpoint;
};

struct TrainResult {
  TrainStatus status = TrainStatus::complete;
  std::vector<EpochRecord> history;
  int resumed_from_epoch = -1;  // -1: a fresh start
  std::vector<int> checkpoint_epochs;
  std::vector<std::string> checkpoint_paths;
  // Divergence: where the first non-finite loss appeared.
  int diverged_epoch = -1;  // 0-based epoch
  std::int64_t diverged_step = -1;
  double diverged_loss = 0;
};

double schedule_factor(const TrainOptions& o, int epoch);
std::string checkpoint_path(const std::string& dir, int epoch);
// Completed epochs of the checkpoints in `dir`, ascending.
std::vector<int> list_checkpoints(const std::string& dir);

// Trains `model` in place. With options.resume, loads the newest checkpoint of
// options.checkpoint_dir into `model` (which must have the same spec) and continues; a
// checkpoint of another configuration is refused with InvalidInput.
TrainResult train(Model& model, const DataSplits& data, const TrainOptions& options,
                  const TrainCallbacks& callbacks = {});

// What a checkpoint says about its run, without building the model: completed epochs, the
// model spec, the run configuration (model, data description, training options), the
// normalisation of the inputs (per-channel mean and sd of pixel/255; empty for none; the
// Transform to rebuild the test-time inputs of curvature measurements) and the history.
struct CheckpointInfo {
  int epoch = 0;
  ModelSpec model;
  std::string config;
  std::vector<float> normalize_mean, normalize_std;
  std::vector<EpochRecord> history;
  Transform test_transform() const;
};
CheckpointInfo read_checkpoint_info(const std::string& checkpoint_path);

// Mean cross-entropy and accuracy of `model` on `d` (eval mode, test-time transform `t`).
struct Evaluation {
  double loss = 0, accuracy = 0;  // both NaN for an empty dataset (an arrays file without x_test)
};
Evaluation evaluate(Model& model, const Dataset& d, const Transform& t, std::int64_t batch_size);

}  // namespace batchrmt::networks
