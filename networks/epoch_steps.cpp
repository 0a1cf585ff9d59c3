#include "networks/epoch_steps.hpp"

#include <cmath>

#include "core/rng.hpp"
#include "networks/training.hpp"

namespace batchrmt::networks {

std::vector<std::size_t> epoch_order(std::size_t n, std::uint64_t seed, int epoch) {
  RandomStream rng(seed, kOrderStream + static_cast<std::uint64_t>(epoch));
  return rng.permutation(n);
}

BatchStep optimizer_step(NetworkImpl& net, torch::optim::Optimizer& opt, const torch::Tensor& x,
                         const torch::Tensor& y) {
  BatchStep s;
  opt.zero_grad();
  s.logits = net.forward(x);
  const auto loss = torch::nn::functional::cross_entropy(s.logits, y);
  s.loss = loss.item<double>();
  s.finite = std::isfinite(s.loss);
  if (!s.finite) return s;
  loss.backward();
  opt.step();
  return s;
}

EpochSteps run_epoch_steps(Model& model, torch::optim::Optimizer& opt, const DataSplits& data, const EpochPlan& plan,
                           const AfterStep& after_step) {
  const std::size_t N = data.train.size();
  const std::size_t B = plan.batch_size;
  const auto device = model_device(model);
  auto& net = network(model);
  const auto order = epoch_order(N, plan.seed, plan.epoch);
  RandomStream aug(plan.seed, kAugmentStream + static_cast<std::uint64_t>(plan.epoch));
  EpochSteps e;
  for (std::size_t s = 0; s < plan.steps; ++s) {
    const std::size_t begin = s * B, end = std::min(N, begin + B);
    const std::vector<std::size_t> idx(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                       order.begin() + static_cast<std::ptrdiff_t>(end));
    const auto x = make_inputs(data.train, idx, data.train_transform, device, &aug);
    const auto y = make_targets(data.train, idx, device);
    const BatchStep step = optimizer_step(net, opt, x, y);
    if (!step.finite) {
      e.diverged = true;
      e.diverged_step = static_cast<std::int64_t>(s);
      e.diverged_loss = step.loss;
      return e;
    }
    const auto n = static_cast<std::int64_t>(idx.size());
    e.loss_sum += step.loss * static_cast<double>(n);
    {
      torch::NoGradGuard g;
      e.correct += step.logits.argmax(1).eq(y).sum().item<std::int64_t>();
    }
    e.seen += n;
    if (after_step) after_step(s + 1, e);
  }
  return e;
}

}  // namespace batchrmt::networks
