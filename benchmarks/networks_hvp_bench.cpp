// Hessian-vector products of batchrmt's curvature operators (networks/curvature.hpp) on
// random inputs of Fashion-MNIST shape (lenet, batch 128) and CIFAR-100 shape (vgg16bn,
// batch 32, BN eval), so no dataset is needed. The same products in PyTorch:
// benchmarks/networks_hvp_pytorch_compare.py (which also runs this binary).
//
//   OMP_WAIT_POLICY=PASSIVE build/<dir>/benchmarks/networks_hvp_bench   [threads: BATCHRMT_BENCH_THREADS, default 2]
// Times: wall (real_time) and process CPU time (cpu_time), the steadier one on a shared machine.
//
// Benchmarks (all float32 unless the name says fp64, products through the float64 interface):
//   Gradient/<model>      mean-loss gradient of the batch (forward + backward)
//   HvpFresh/<model>      one HVP building its graph (forward, backward with graph, double backward)
//   HvpReuse/<model>      one HVP on the kept graph of the frozen batch (double backward only)
//   GgnReuse/<model>      one GGN product on the kept graph
//   LanczosStep/<model>   one step of 20-step full-reorthogonalisation Lanczos on HvpReuse's operator
//   LanczosStepSelective  the same with selective orthogonalisation (Parlett & Scott)
//   RawHvpFresh/Reuse     control: the same products written directly against LibTorch
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <numeric>

#include "core/rng.hpp"
#include "networks/curvature.hpp"
#include "networks/torch_bridge.hpp"
#include "networks/torch_runtime.hpp"
#include "spectral/lanczos.hpp"

namespace nw = batchrmt::networks;

namespace {

int bench_threads() {
  const char* t = std::getenv("BATCHRMT_BENCH_THREADS");
  return t ? std::atoi(t) : 2;
}

struct Case {
  nw::Model model;
  nw::Dataset data;
  std::vector<std::size_t> idx;
};

Case make_case(const std::string& name, std::array<std::int64_t, 3> shape, int classes, std::size_t batch) {
  nw::set_torch_threads(bench_threads());
  nw::ModelSpec s;
  s.name = name;
  s.input_shape = shape;
  s.classes = classes;
  Case c;
  c.model = nw::Model::create(s, "cpu");
  nw::TeacherStudentOptions o;
  o.train_size = batch;
  o.test_size = 1;
  o.shape = shape;
  o.classes = classes;
  c.data = nw::make_teacher_student(o, "train");
  c.idx.resize(batch);
  std::iota(c.idx.begin(), c.idx.end(), std::size_t{0});
  return c;
}

nw::CurvatureOperator make_op(const Case& c, nw::GraphReuse reuse, nw::CurvatureKind kind, nw::ComputeDtype dtype) {
  nw::CurvatureOptions o;
  o.reuse = reuse;
  o.kind = kind;
  o.dtype = dtype;
  o.chunk_size = static_cast<std::int64_t>(c.idx.size());
  return nw::CurvatureOperator(c.model, c.data, nw::Transform{}, c.idx, o);
}

Eigen::VectorXd random_vector(Eigen::Index n) {
  batchrmt::RandomStream rng(0, 1);
  Eigen::VectorXd v(n);
  rng.fill_normal(v.data(), static_cast<std::size_t>(n));
  return v / v.norm();
}

void run(benchmark::State& state, const std::string& what, const std::string& name, std::array<std::int64_t, 3> shape,
         int classes, std::size_t batch, nw::ComputeDtype dtype) {
  const Case c = make_case(name, shape, classes, batch);
  if (what == "RawHvpReuse" || what == "RawHvpFresh") {
    // Control: the same double backward written directly against LibTorch (lists of tensors,
    // no float64 interface, no chunking), as the PyTorch script does it.
    auto m = c.model;
    nw::network(m).eval();
    auto params = nw::model_parameters(m);
    const auto x = nw::make_inputs(c.data, c.idx, nw::Transform{}, torch::kCPU);
    const auto y = nw::make_targets(c.data, c.idx, torch::kCPU);
    std::vector<torch::Tensor> v;
    for (const auto& p : params) v.push_back(torch::randn_like(p));
    auto grads = [&] {
      const auto loss = torch::nn::functional::cross_entropy(nw::network(m).forward(x), y);
      return torch::autograd::grad({loss}, params, {}, true, true);
    };
    auto kept = grads();
    for (auto _ : state) {
      if (what == "RawHvpFresh") kept = grads();
      benchmark::DoNotOptimize(torch::autograd::grad(kept, params, v, true));
    }
  } else if (what == "Gradient") {
    const auto op = make_op(c, nw::GraphReuse::never, nw::CurvatureKind::hessian, dtype);
    for (auto _ : state) benchmark::DoNotOptimize(op.gradient());
  } else if (what == "LanczosStep" || what == "LanczosStepSelective") {
    const auto op = make_op(c, nw::GraphReuse::always, nw::CurvatureKind::hessian, dtype);
    batchrmt::spectral::LanczosOptions lo;
    lo.steps = 20;
    if (what == "LanczosStepSelective") lo.reorth = batchrmt::spectral::Reorthogonalization::Selective;
    double op_seconds = 0, total = 0;
    std::int64_t steps = 0;
    for (auto _ : state) {
      const auto r = batchrmt::spectral::lanczos(op, lo);
      op_seconds += r.operator_seconds;
      total += r.loop_seconds;
      steps += static_cast<std::int64_t>(r.steps);
    }
    // Per step: the loop time over the time spent inside the operator (goal <= 1.05).
    state.counters["step_over_hvp"] = total / op_seconds;
    state.counters["seconds_per_step"] = total / static_cast<double>(steps);
  } else {
    const auto reuse = what == "HvpFresh" ? nw::GraphReuse::never : nw::GraphReuse::always;
    const auto kind = what == "GgnReuse" ? nw::CurvatureKind::ggn : nw::CurvatureKind::hessian;
    const auto op = make_op(c, reuse, kind, dtype);
    const Eigen::VectorXd v = random_vector(op.rows());
    Eigen::VectorXd y(op.rows());
    op.apply(v.data(), y.data());  // builds the kept graph outside the timing
    for (auto _ : state) {
      op.apply(v.data(), y.data());
      benchmark::DoNotOptimize(y.data());
    }
  }
  state.counters["threads"] = bench_threads();
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

constexpr std::array<std::int64_t, 3> kFashion{1, 28, 28};
constexpr std::array<std::int64_t, 3> kCifar{3, 32, 32};

#define LENET(what, dtype, tag)                                                                             \
  void BM_##what##_lenet##tag(benchmark::State& s) { run(s, #what, "lenet", kFashion, 10, 128, dtype); } \
  BENCHMARK(BM_##what##_lenet##tag)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
#define VGG(what)                                                                                                  \
  void BM_##what##_vgg16bn(benchmark::State& s) { run(s, #what, "vgg16bn", kCifar, 100, 32, nw::ComputeDtype::float32); } \
  BENCHMARK(BM_##what##_vgg16bn)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Iterations(2);

LENET(Gradient, nw::ComputeDtype::float32, )
LENET(HvpFresh, nw::ComputeDtype::float32, )
LENET(HvpReuse, nw::ComputeDtype::float32, )
LENET(GgnReuse, nw::ComputeDtype::float32, )
LENET(LanczosStep, nw::ComputeDtype::float32, )
LENET(LanczosStepSelective, nw::ComputeDtype::float32, )
LENET(HvpReuse, nw::ComputeDtype::float64, _fp64)
LENET(RawHvpFresh, nw::ComputeDtype::float32, )
LENET(RawHvpReuse, nw::ComputeDtype::float32, )
VGG(Gradient)
VGG(HvpFresh)
VGG(HvpReuse)
VGG(LanczosStep)
VGG(LanczosStepSelective)

}  // namespace

BENCHMARK_MAIN();
