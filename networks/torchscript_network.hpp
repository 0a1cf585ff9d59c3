// The TorchScript network behind `--model torchscript:FILE.pt` (networks/torchscript_model.cpp),
// and the BatchNorm layers inside a TorchScript module, which the torch::nn module tree does not
// show. Internal to networks/ (it includes LibTorch through torch_bridge.hpp).
//
// The module's requires_grad parameters, in its named_parameters() order, are registered on the
// NetworkImpl as its parameters, its other parameters and its buffers as buffers: the same
// tensors, so flattening, set_flat_parameters, `.to(device, dtype)` (set_data keeps the tensor)
// and checkpoints act on the module itself. Registered names are the module's with '.' replaced
// by '_'; `parameter_name` gives the module's own name back.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "networks/torch_bridge.hpp"

namespace batchrmt::networks {

// Loads spec.torchscript onto `device` and checks it (InvalidInput, one sentence): the file
// exists and is TorchScript, it has trainable parameters, and one item of spec.input_shape
// gives 1 x spec.classes logits. Sets spec.torchscript_fingerprint, or checks it when set (a
// run that resumes, or a checkpoint, refuses a file that changed).
std::shared_ptr<NetworkImpl> load_torchscript_network(ModelSpec& spec, const torch::Device& device);

// The module's name of the parameter registered as `registered` (unchanged for built-in models).
std::string parameter_name(const NetworkImpl& net, const std::string& registered);

// BatchNorm layers of a TorchScript module (modules whose class is BatchNorm1d/2d/3d).
bool has_script_batchnorm(const NetworkImpl& net);
// Train mode for those layers alone, the rest of the network as it is ("train" policy, 5.3).
void train_script_batchnorm(NetworkImpl& net);
// Their running mean, variance and batch count.
std::vector<torch::Tensor> script_batchnorm_buffers(const NetworkImpl& net);
// Sets their running statistics to the cumulative average over the forwards that `run_batches`
// makes (in train mode), as recompute_batchnorm_statistics does for torch::nn layers. Needs a
// scripted module (torch.jit.script): a traced one fixed its BatchNorm mode when it was traced.
void recompute_script_batchnorm(NetworkImpl& net, const std::function<void(const std::function<void(torch::Tensor)>&)>& run_batches);

}  // namespace batchrmt::networks
