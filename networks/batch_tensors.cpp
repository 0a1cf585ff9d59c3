// The batch and BatchNorm helpers of torch_bridge.hpp: the tensors of an index set, and the
// BatchNorm running statistics (recomputed over a dataset, or saved and restored around
// train-mode products, docs/theory.md 5.3) for built-in and TorchScript modules alike.
#include <functional>

#include "core/checks.hpp"
#include "core/rng.hpp"
#include "networks/torch_bridge.hpp"
#include "networks/torchscript_network.hpp"

namespace batchrmt::networks {

namespace nn = torch::nn;

torch::Tensor make_inputs(const Dataset& d, const std::vector<std::size_t>& idx, const Transform& t,
                          const torch::Device& device, RandomStream* rng) {
  const auto s = d.input_shape();
  auto x = torch::empty({static_cast<std::int64_t>(idx.size()), s[0], s[1], s[2]}, torch::kFloat);
  d.items(idx, t, x.data_ptr<float>(), rng);
  return device.is_cpu() ? x : x.to(device);
}

torch::Tensor make_targets(const Dataset& d, const std::vector<std::size_t>& idx, const torch::Device& device) {
  auto y = torch::empty({static_cast<std::int64_t>(idx.size())}, torch::kLong);
  auto* p = y.data_ptr<std::int64_t>();
  for (std::size_t k = 0; k < idx.size(); ++k) p[k] = d.label(idx[k]);
  return device.is_cpu() ? y : y.to(device);
}

namespace {
std::vector<nn::BatchNormImplBase<2, nn::BatchNorm2dImpl>*> batchnorms(NetworkImpl& net) {
  std::vector<nn::BatchNormImplBase<2, nn::BatchNorm2dImpl>*> out;
  for (const auto& m : net.modules(false))
    if (auto* bn = m->as<nn::BatchNorm2d>()) out.push_back(bn);
  return out;
}
}  // namespace

namespace {
// One pass over `d` in batches of `batch_size`, each batch's inputs handed to `forward`.
void run_batches(const Model& m, const Dataset& d, const Transform& t, std::int64_t batch_size, RandomStream* rng,
                 const std::function<void(torch::Tensor)>& forward) {
  for (std::size_t begin = 0; begin < d.size(); begin += static_cast<std::size_t>(batch_size)) {
    const std::size_t end = std::min(d.size(), begin + static_cast<std::size_t>(batch_size));
    std::vector<std::size_t> idx(end - begin);
    for (std::size_t k = begin; k < end; ++k) idx[k - begin] = k;
    forward(make_inputs(d, idx, t, m.impl().device, rng));
  }
}
}  // namespace

void recompute_batchnorm_statistics(Model& m, const Dataset& d, const Transform& t, std::int64_t batch_size,
                                    RandomStream* rng) {
  check_at_least("recompute_batchnorm_statistics", "batch_size", batch_size, std::int64_t{1});
  auto& net = network(m);
  auto bns = batchnorms(net);
  if (bns.empty() && !has_script_batchnorm(net)) return;
  const bool was_training = net.is_training();
  std::vector<c10::optional<double>> momenta;
  for (auto* bn : bns) {
    momenta.push_back(bn->options.momentum());
    bn->reset_running_stats();
    bn->options.momentum({});  // cumulative average over the pass
  }
  net.train();
  torch::NoGradGuard g;
  if (has_script_batchnorm(net)) {
    recompute_script_batchnorm(net, [&](const std::function<void(torch::Tensor)>& forward) {
      run_batches(m, d, t, batch_size, rng, forward);
    });
  } else {
    run_batches(m, d, t, batch_size, rng, [&](torch::Tensor x) { net.forward(std::move(x)); });
  }
  for (std::size_t i = 0; i < bns.size(); ++i) bns[i]->options.momentum(momenta[i]);
  net.train(was_training);
}

BatchNormBufferGuard::BatchNormBufferGuard(const Model& m) {
  for (auto* bn : batchnorms(network(m))) {
    for (auto* t : {&bn->running_mean, &bn->running_var, &bn->num_batches_tracked})
      if (t->defined()) {
        live_.push_back(*t);
        saved_.push_back(t->clone());
      }
  }
  for (const auto& t : script_batchnorm_buffers(network(m))) {
    live_.push_back(t);
    saved_.push_back(t.clone());
  }
}

BatchNormBufferGuard::~BatchNormBufferGuard() {
  torch::NoGradGuard g;
  for (std::size_t i = 0; i < live_.size(); ++i) live_[i].copy_(saved_[i]);
}

}  // namespace batchrmt::networks
