// LibTorch side of the networks layer: the module behind a Model and the tensors of a
// dataset batch. Include only from networks/*.cpp, apps/torch/, tests/networks/ and
// benchmarks/networks_* (it includes <torch/torch.h>; the layering rule is in README.md).
//
// This is the interface the curvature operators (Hessian / GGN vector products over fixed
// data subsets, docs/theory.md 5.2-5.4) build on:
//   - `network(model)` gives the torch::nn::Module with forward(); `model_parameters(model)`
//     its parameters in flattening order (module registration order, = Model::parameters());
//   - `model.set_training(false)` is the BN "eval" policy of 5.3, `true` the "train" policy;
//     `recompute_batchnorm_statistics` recomputes running statistics over a dataset, and
//     `BatchNormBufferGuard` saves and restores the running buffers around train-mode HVPs;
//   - `make_inputs(dataset, indices, transform, device)` builds the input tensor of an index
//     set with the test-time transform (5.1), `make_targets` the labels.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "networks/datasets.hpp"
#include "networks/models.hpp"

namespace batchrmt::networks {

// Every model is a Network: one forward from inputs (n x C x H x W, float) to logits.
struct NetworkImpl : torch::nn::Module {
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};

struct ModelImpl {
  ModelSpec spec;
  std::shared_ptr<NetworkImpl> net;
  torch::Device device{torch::kCPU};
};

inline NetworkImpl& network(const Model& m) { return *m.impl().net; }
inline torch::Device model_device(const Model& m) { return m.impl().device; }
// Parameters in flattening order.
std::vector<torch::Tensor> model_parameters(const Model& m);
// Concatenated parameters (a new 1-D tensor on the model's device, the parameters' dtype).
torch::Tensor flatten(const std::vector<torch::Tensor>& tensors);

// Inputs of dataset[idx[k]] after `t` as an (n, C, H, W) float tensor on `device`. Augmentation
// draws come from `rng` (required when t.augment).
torch::Tensor make_inputs(const Dataset& d, const std::vector<std::size_t>& idx, const Transform& t,
                          const torch::Device& device, RandomStream* rng = nullptr);
torch::Tensor make_targets(const Dataset& d, const std::vector<std::size_t>& idx, const torch::Device& device);

// Recomputes BN running statistics as the cumulative average over one pass of `d` in batches
// of `batch_size` (SWAG's bn_update, which the authors ran before measuring, docs/theory.md 5.3).
// Leaves the model in the mode it had. No-op for models without BatchNorm.
void recompute_batchnorm_statistics(Model& m, const Dataset& d, const Transform& t, std::int64_t batch_size,
                                    RandomStream* rng = nullptr);

// Saves the running mean/var/num_batches_tracked of every BatchNorm layer and restores
// them on destruction (train-mode forwards update them; 5.3).
class BatchNormBufferGuard {
 public:
  explicit BatchNormBufferGuard(const Model& m);
  ~BatchNormBufferGuard();
  BatchNormBufferGuard(const BatchNormBufferGuard&) = delete;
  BatchNormBufferGuard& operator=(const BatchNormBufferGuard&) = delete;

 private:
  std::vector<torch::Tensor> live_, saved_;
};

// Model from the "model" entry of a training checkpoint (written by train()).
Model load_model_from_checkpoint(const std::string& checkpoint_path, const std::string& device = "cpu");

}  // namespace batchrmt::networks
