// Device-resident timings of curvature products; see device_timing.hpp.
#include "networks/device_timing.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/checks.hpp"
#include "core/rng.hpp"

namespace batchrmt::networks {

namespace {

void synchronize(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize(d.index());
}

template <class Call>
double median_milliseconds(const torch::Device& d, int repeats, Call&& call) {
  check_at_least("curvature timing", "repeats", repeats, 1);
  call();
  synchronize(d);
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    synchronize(d);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

double gradient_milliseconds(const CurvatureOperator& op, int repeats) {
  return median_milliseconds(torch::Device(op.options().device), repeats, [&] { (void)op.gradient_on_device(); });
}

double product_milliseconds(const CurvatureOperator& op, int repeats, std::uint64_t seed) {
  const torch::Device d(op.options().device);
  std::vector<double> v(static_cast<std::size_t>(op.rows()));
  RandomStream(seed, 0x7e000000).fill_normal(v.data(), v.size());
  const torch::Tensor x = torch::from_blob(v.data(), {op.rows()}, torch::kDouble).to(d, torch::kDouble, false, true);
  const torch::Tensor unit = x / x.norm();
  return median_milliseconds(d, repeats, [&] { (void)op.apply_on_device(unit); });
}

}  // namespace batchrmt::networks
