// Training throughput of batchrmt's networks (one SGD step: zero_grad, forward, mean
// cross-entropy, backward, SGD with momentum 0.9 and weight decay 5e-4) on random inputs of
// Fashion-MNIST shape (lenet) and CIFAR shape (vgg16bn), so it needs no dataset. The same steps
// in PyTorch: benchmarks/networks_pytorch_compare.py (which also runs this binary;
// benchmarks/idle_harness.py, section training, runs each side in its own process).
//
//   build/<dir>/benchmarks/networks_train_bench [--threads N via BATCHRMT_BENCH_THREADS]
//
// Counters: items_per_second = images per second. The "pipeline" variants add batchrmt's data
// path (Dataset::items with crop+flip augmentation into a tensor) to each step.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "core/rng.hpp"
#include "core/system.hpp"
#include "networks/torch_bridge.hpp"
#include "networks/torch_runtime.hpp"

namespace nw = batchrmt::networks;

namespace {

int bench_threads() {
  const char* t = std::getenv("BATCHRMT_BENCH_THREADS");
  return t ? std::atoi(t) : 2;
}

nw::Model make_model(const std::string& name, std::array<std::int64_t, 3> shape, std::int64_t classes) {
  nw::ModelSpec s;
  s.name = name;
  s.input_shape = shape;
  s.classes = classes;
  s.seed = 0;
  return nw::Model::create(s, "cpu");
}

void train_steps(benchmark::State& state, const std::string& name, std::array<std::int64_t, 3> shape,
                 std::int64_t classes, bool pipeline) {
  // As every batchrmt command does from --threads (apps/runtime.cpp): OpenBLAS's own pthreads,
  // which LibTorch's CPU GEMMs use, would otherwise start one per core and spin beside the step.
  nw::set_torch_threads(bench_threads());
  batchrmt::set_blas_threads(bench_threads());
  const std::int64_t batch = state.range(0);
  auto model = make_model(name, shape, classes);
  auto& net = nw::network(model);
  net.train();
  torch::optim::SGD opt(nw::model_parameters(model), torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4));
  torch::manual_seed(1);
  auto x = torch::rand({batch, shape[0], shape[1], shape[2]});
  auto y = torch::randint(0, classes, {batch}, torch::kLong);
  // For the pipeline variant: a uint8 dataset of 4 batches, augmented each step.
  const std::size_t n = static_cast<std::size_t>(4 * batch);
  std::vector<std::uint8_t> pixels(n * static_cast<std::size_t>(shape[0] * shape[1] * shape[2]));
  batchrmt::RandomStream rng(0, 0);
  for (auto& p : pixels) p = static_cast<std::uint8_t>(rng.below(256));
  std::vector<std::int64_t> labels(n);
  for (auto& l : labels) l = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(classes)));
  const auto data = nw::Dataset::from_pixels("bench", shape, static_cast<int>(classes), pixels, labels);
  nw::Transform t;
  t.augment = true;
  t.mean.assign(static_cast<std::size_t>(shape[0]), 0.5f);
  t.std.assign(static_cast<std::size_t>(shape[0]), 0.25f);
  std::vector<std::size_t> idx(static_cast<std::size_t>(batch));
  std::size_t step = 0;
  auto train_step = [&] {
    if (pipeline) {
      for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = (step * idx.size() + k) % n;
      x = nw::make_inputs(data, idx, t, torch::kCPU, &rng);
      y = nw::make_targets(data, idx, torch::kCPU);
      ++step;
    }
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(net.forward(x), y);
    loss.backward();
    opt.step();
    return loss.item<double>();
  };
  // Two untimed steps first, as benchmarks/networks_pytorch_compare.py does before timing PyTorch's
  // (the first steps allocate the gradients, the momentum buffers and the allocator's blocks).
  for (int warm = 0; warm < 2; ++warm) train_step();
  for (auto _ : state) benchmark::DoNotOptimize(train_step());
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["threads"] = nw::torch_threads();
  state.SetLabel(name + " batch " + std::to_string(batch) + (pipeline ? " +data" : ""));
}

void BM_LenetStep(benchmark::State& s) { train_steps(s, "lenet", {1, 28, 28}, 10, false); }
void BM_LenetStepPipeline(benchmark::State& s) { train_steps(s, "lenet", {1, 28, 28}, 10, true); }
void BM_Vgg16bnStep(benchmark::State& s) { train_steps(s, "vgg16bn", {3, 32, 32}, 100, false); }
void BM_Vgg16bnStepPipeline(benchmark::State& s) { train_steps(s, "vgg16bn", {3, 32, 32}, 100, true); }

// Data path alone: Dataset::items with augmentation for a CIFAR-shaped batch of 128.
void BM_MakeInputsCifar128(benchmark::State& state) {
  const std::size_t n = 512;
  std::vector<std::uint8_t> pixels(n * 3072, 77);
  const auto data = nw::Dataset::from_pixels("bench", {3, 32, 32}, 100, pixels, std::vector<std::int64_t>(n, 0));
  nw::Transform t;
  t.augment = true;
  t.mean = {0.5f, 0.5f, 0.5f};
  t.std = {0.25f, 0.25f, 0.25f};
  batchrmt::RandomStream rng(0, 0);
  std::vector<std::size_t> idx(128);
  for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k;
  for (auto _ : state) benchmark::DoNotOptimize(nw::make_inputs(data, idx, t, torch::kCPU, &rng));
  state.SetItemsProcessed(state.iterations() * 128);
}

}  // namespace

// Process CPU time (all threads) as well as wall time: on a shared machine the CPU time per
// step is the steadier figure to compare with PyTorch's time.process_time().
BENCHMARK(BM_LenetStep)->Arg(128)->Unit(benchmark::kMillisecond)->MinTime(2.0)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_LenetStepPipeline)->Arg(128)->Unit(benchmark::kMillisecond)->MinTime(2.0)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_Vgg16bnStep)->Arg(32)->Unit(benchmark::kMillisecond)->MinTime(5.0)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_Vgg16bnStepPipeline)->Arg(32)->Unit(benchmark::kMillisecond)->MinTime(5.0)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_MakeInputsCifar128)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
