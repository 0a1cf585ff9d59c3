// Curvature products of batchrmt's operators (networks/curvature.hpp) against raw-LibTorch
// controls, on random inputs of Fashion-MNIST shape (lenet, batch 128) and CIFAR-100 shape
// (vgg16bn, batch 32, BN eval), so no dataset is needed. The same products in PyTorch:
// benchmarks/networks_hvp_pytorch_compare.py. Figures for docs/performance.md come from
// benchmarks/run_idle.sh, which runs every benchmark of this file in its own process
// (`--benchmark_filter='^BM_<name>$'`), alternating operator and control, 3 times.
//
//   OMP_WAIT_POLICY=PASSIVE BATCHRMT_BENCH_THREADS=1 build/<dir>/benchmarks/networks_hvp_bench
// Times: wall (real_time, the mean per call) and process CPU time (cpu_time); for the product
// rows also the median wall time of one call (counter median_ms), which run_idle.sh reports.
//
// Operator benchmarks (float32 unless the name says fp64; products through the float64 interface,
// as Lanczos calls them: one cast in, one cast out):
//   Gradient_<model>      mean-loss gradient of the batch (forward + backward), float64 out
//   HvpFresh_<model>      one HVP building its graph (forward, backward with graph, double backward)
//   HvpReuse_<model>      one HVP on the kept graph of the frozen batch (double backward only)
//   GgnReuse_<model>      one GGN product on the kept graph (J v by the double-backward trick, J^T)
//   LanczosStep_<model>   one step of a 20-step full-reorthogonalisation Lanczos run on HvpReuse's
//                         operator (counters step_over_hvp, seconds_per_step), after a first run
//                         in the process (counters first_*: its basis in fresh memory); Selective:
//                         selective orthogonalisation; LanczosStep100: the paper's 100 steps
// Raw controls (Raw<Op>_<model>): the same mathematics written directly against LibTorch, the
// fastest way we know to write each: the model's own parameters, the product vector already split
// into parameter-shaped tensors of the compute dtype (no float64 interface), results left as
// LibTorch returns them. The fresh-graph control builds its graph inside the loop body, so the
// previous graph is released before the next forward, and the double backward does not retain
// the graph (retain_graph = false frees its buffers as it goes). The vector is the operator's:
// the same unit vector, split.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <stdexcept>
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
  return t ? std::atoi(t) : 1;
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

using TensorList = std::vector<torch::Tensor>;

// The raw-LibTorch controls as one call each. `what` without the "Raw" prefix: Gradient,
// HvpFresh, HvpReuse, GgnReuse. The state (model, inputs, kept graph) lives in the closure.
std::function<void()> make_raw(const std::string& what, const Case& c, torch::ScalarType dtype) {
  auto m = c.model;  // the benchmark's own model (its copy of the parameters), in the compute dtype
  auto& net = nw::network(m);
  net.eval();
  net.to(dtype);
  auto params = std::make_shared<TensorList>(nw::model_parameters(m));
  const auto x = nw::make_inputs(c.data, c.idx, nw::Transform{}, torch::kCPU).to(dtype);
  const auto y = nw::make_targets(c.data, c.idx, torch::kCPU);
  std::int64_t P = 0;
  for (const auto& p : *params) P += p.numel();
  const Eigen::VectorXd v64 = random_vector(P);
  const auto flat = torch::from_blob(const_cast<double*>(v64.data()), {P}, torch::kDouble).to(dtype);
  auto v = std::make_shared<TensorList>();
  std::int64_t off = 0;
  for (const auto& p : *params) {
    v->push_back(flat.narrow(0, off, p.numel()).view(p.sizes()));
    off += p.numel();
  }
  auto loss_of = [m, x, y] { return torch::nn::functional::cross_entropy(nw::network(m).forward(x), y); };
  if (what == "Gradient") return [=] { benchmark::DoNotOptimize(torch::autograd::grad({loss_of()}, *params)); };
  if (what == "HvpFresh")
    return [=] {
      // Graph built, used once and released inside the call.
      const TensorList g = torch::autograd::grad({loss_of()}, *params, {}, /*retain_graph=*/true, /*create_graph=*/true);
      benchmark::DoNotOptimize(torch::autograd::grad(g, *params, *v, /*retain_graph=*/false));
    };
  if (what == "HvpReuse") {
    auto kept = std::make_shared<TensorList>(torch::autograd::grad({loss_of()}, *params, {}, true, true));
    return [=] { benchmark::DoNotOptimize(torch::autograd::grad(*kept, *params, *v, /*retain_graph=*/true)); };
  }
  if (what == "GgnReuse") {
    // G v = J^T H_out J v / n (cross-entropy: H_out = diag p - p p^T), as the operator computes it.
    const auto logits = nw::network(m).forward(x);
    const auto u = torch::zeros_like(logits).requires_grad_(true);
    auto jtu = std::make_shared<TensorList>(torch::autograd::grad({logits}, *params, {u}, true, true));
    const auto probs = torch::softmax(logits.detach(), 1);
    const double inv_n = 1.0 / static_cast<double>(c.idx.size());
    return [=] {
      const auto jv = torch::autograd::grad(*jtu, {u}, *v, true)[0];
      const auto pj = probs * jv;
      const auto hm = (pj - probs * pj.sum(1, true)) * inv_n;
      benchmark::DoNotOptimize(torch::autograd::grad({logits}, *params, {hm}, true));
    };
  }
  throw std::invalid_argument("unknown raw control " + what);
}

// The operator's product as one call (through the float64 interface, as Lanczos calls it).
std::function<void()> make_operator_call(const std::string& what, const Case& c, nw::ComputeDtype dtype) {
  if (what == "Gradient") {
    const auto op = make_op(c, nw::GraphReuse::never, nw::CurvatureKind::hessian, dtype);
    auto g = std::make_shared<Eigen::VectorXd>(op.rows());
    return [op, g] {
      op.gradient(g->data());
      benchmark::DoNotOptimize(g->data());
    };
  }
  const auto reuse = what == "HvpFresh" ? nw::GraphReuse::never : nw::GraphReuse::always;
  const auto kind = what == "GgnReuse" ? nw::CurvatureKind::ggn : nw::CurvatureKind::hessian;
  const auto op = make_op(c, reuse, kind, dtype);
  auto v = std::make_shared<Eigen::VectorXd>(random_vector(op.rows()));
  auto y = std::make_shared<Eigen::VectorXd>(op.rows());
  return [op, v, y] {
    op.apply(v->data(), y->data());
    benchmark::DoNotOptimize(y->data());
  };
}

// Process CPU seconds of one call (all LibTorch threads): on a loaded machine much steadier than
// wall time, which also counts the time the scheduler gave to others.
double seconds_of(const std::function<void()>& f) {
  timespec a{}, b{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  f();
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  return static_cast<double>(b.tv_sec - a.tv_sec) + 1e-9 * static_cast<double>(b.tv_nsec - a.tv_nsec);
}

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x.empty() ? 0.0 : x[x.size() / 2];
}

// Times every call of the loop; counter median_ms: the median wall time of one call (the figure
// run_idle.sh reports: robust to the odd slow call that the mean of a few calls is not).
void time_each_call(benchmark::State& state, const std::function<void()>& call) {
  std::vector<double> wall;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  state.counters["median_ms"] = 1e3 * median(wall);
}

void run(benchmark::State& state, const std::string& what, const std::string& name, std::array<std::int64_t, 3> shape,
         int classes, std::size_t batch, nw::ComputeDtype dtype) {
  const Case c = make_case(name, shape, classes, batch);
  const auto tdtype = dtype == nw::ComputeDtype::float64 ? torch::kDouble : torch::kFloat;
  if (what.rfind("AB", 0) == 0) {
    // Same-process A/B: operator and raw control alternate call by call (which goes first
    // alternates too), so machine load hits both alike; counters: the median per-pair ratio of
    // process CPU time (op_over_raw) and the medians of each (op_ms, raw_ms, CPU).
    const auto op_call = make_operator_call(what.substr(2), c, dtype);
    const auto raw_call = make_raw(what.substr(2), c, tdtype);
    op_call();  // warm-up (and the kept graph)
    raw_call();
    std::vector<double> ratios, op_s, raw_s;
    bool op_first = true;
    for (auto _ : state) {
      const double a = op_first ? seconds_of(op_call) : 0, r = seconds_of(raw_call);
      const double b = op_first ? a : seconds_of(op_call);
      op_s.push_back(b);
      raw_s.push_back(r);
      ratios.push_back(b / r);
      op_first = !op_first;
    }
    state.counters["op_over_raw"] = median(ratios);
    state.counters["op_ms"] = 1e3 * median(op_s);
    state.counters["raw_ms"] = 1e3 * median(raw_s);
  } else if (what.rfind("Raw", 0) == 0) {
    const auto call = make_raw(what.substr(3), c, tdtype);
    call();  // warm-up, as the operator benchmarks do
    time_each_call(state, call);
  } else if (what.rfind("LanczosStep", 0) == 0) {
    const auto op = make_op(c, nw::GraphReuse::always, nw::CurvatureKind::hessian, dtype);
    batchrmt::spectral::LanczosOptions lo;
    lo.steps = what == "LanczosStep100" ? 100 : 20;
    if (what == "LanczosStepSelective") lo.reorth = batchrmt::spectral::Reorthogonalization::Selective;
    if (what == "LanczosStepFp32Basis") lo.storage = batchrmt::spectral::BasisStorage::Fp32;
    // The process's first run writes its basis into fresh memory (the first touch of every page,
    // spectral/krylov_basis.hpp); later runs, as in a run per batch, reuse the memory it kept.
    // The first run is the warm-up (counters first_*); the timed runs follow it.
    const auto first = batchrmt::spectral::lanczos(op, lo);
    state.counters["first_step_over_hvp"] = first.loop_seconds / first.operator_seconds;
    state.counters["first_seconds_per_step"] = first.loop_seconds / static_cast<double>(first.steps);
    double op_seconds = 0, total = 0, reorth = 0;
    std::int64_t steps = 0;
    for (auto _ : state) {
      const auto r = batchrmt::spectral::lanczos(op, lo);
      op_seconds += r.operator_seconds;
      total += r.loop_seconds;
      reorth += r.reorth_seconds;
      steps += static_cast<std::int64_t>(r.steps);
    }
    // Per step: the loop time over the time spent inside the operator.
    state.counters["step_over_hvp"] = total / op_seconds;
    state.counters["seconds_per_step"] = total / static_cast<double>(steps);
    state.counters["hvp_seconds"] = op_seconds / static_cast<double>(steps);
    state.counters["reorth_seconds_per_step"] = reorth / static_cast<double>(steps);
    state.counters["P"] = static_cast<double>(op.rows());
  } else {
    const auto call = make_operator_call(what, c, dtype);
    call();  // warm-up; builds the kept graph outside the timing
    time_each_call(state, call);
  }
  state.counters["threads"] = bench_threads();
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

// Full-data products (docs/performance.md, "fulldata"): lenet on all 60,000 Fashion-MNIST training images
// (Debian's dataset-fashion-mnist), float32, chunks of 512 (118 chunks, no kept graph), threads
// from BATCHRMT_BENCH_THREADS. FullDataGradient: one mean gradient; FullDataHvp: one HVP.
void run_full_data(benchmark::State& state, bool hvp) {
  nw::set_torch_threads(bench_threads());
  nw::Dataset data;
  try {
    data = nw::load_fashion_mnist(nw::kFashionMnistDefaultDir, "train");
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  nw::ModelSpec s;
  s.name = "lenet";
  s.input_shape = {1, 28, 28};
  s.classes = 10;
  const auto model = nw::Model::create(s, "cpu");
  std::vector<std::size_t> idx(data.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  nw::CurvatureOptions o;
  o.dtype = nw::ComputeDtype::float32;
  o.chunk_size = 512;
  const nw::CurvatureOperator op(model, data, nw::Transform{}, idx, o);
  const Eigen::VectorXd v = random_vector(op.rows());
  Eigen::VectorXd y(op.rows());
  for (auto _ : state) {
    if (hvp)
      op.apply(v.data(), y.data());
    else
      op.gradient(y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["threads"] = bench_threads();
  state.counters["samples"] = static_cast<double>(idx.size());
}
void BM_FullDataGradient_lenet(benchmark::State& s) { run_full_data(s, false); }
void BM_FullDataHvp_lenet(benchmark::State& s) { run_full_data(s, true); }
BENCHMARK(BM_FullDataGradient_lenet)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Iterations(1);
BENCHMARK(BM_FullDataHvp_lenet)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Iterations(1);

constexpr std::array<std::int64_t, 3> kFashion{1, 28, 28};
constexpr std::array<std::int64_t, 3> kCifar{3, 32, 32};

constexpr auto kF32 = nw::ComputeDtype::float32;
constexpr auto kF64 = nw::ComputeDtype::float64;

struct LenetCase {
  const char* what;
  nw::ComputeDtype dtype;
};
struct VggCase {
  const char* what;
  int iterations;
};

// BM_<what>_lenet (float32) or BM_<what>_lenet_fp64, and BM_<what>_vgg16bn, registered in
// the order of these tables.
[[maybe_unused]] const bool kRegistered = [] {
  const LenetCase lenet[] = {
      {"Gradient", kF32}, {"RawGradient", kF32}, {"HvpFresh", kF32}, {"RawHvpFresh", kF32}, {"HvpReuse", kF32},
      {"RawHvpReuse", kF32}, {"GgnReuse", kF32}, {"RawGgnReuse", kF32}, {"HvpFresh", kF64}, {"RawHvpFresh", kF64},
      {"HvpReuse", kF64}, {"RawHvpReuse", kF64}, {"LanczosStep", kF32}, {"LanczosStepSelective", kF32},
      // Same-process A/B (operator vs raw control, alternating call by call): load-robust ratios.
      {"ABGradient", kF32}, {"ABHvpFresh", kF32}, {"ABHvpReuse", kF32}, {"ABGgnReuse", kF32}, {"ABHvpFresh", kF64},
      {"ABHvpReuse", kF64}};
  for (const LenetCase c : lenet) {
    const std::string name = std::string("BM_") + c.what + "_lenet" + (c.dtype == kF64 ? "_fp64" : "");
    benchmark::RegisterBenchmark(name.c_str(), [c](benchmark::State& s) {
      run(s, c.what, "lenet", kFashion, 10, 128, c.dtype);
    })->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
  }
  const VggCase vgg[] = {{"ABGradient", 3}, {"ABHvpFresh", 3}, {"ABHvpReuse", 3}, {"ABGgnReuse", 3},
                         {"Gradient", 6}, {"RawGradient", 6}, {"HvpFresh", 4}, {"RawHvpFresh", 4},
                         {"HvpReuse", 4}, {"RawHvpReuse", 4}, {"GgnReuse", 4}, {"RawGgnReuse", 4},
                         {"LanczosStep", 1}, {"LanczosStepFp32Basis", 1}, {"LanczosStepSelective", 1},
                         {"LanczosStep100", 1}};
  for (const VggCase c : vgg) {
    const std::string name = std::string("BM_") + c.what + "_vgg16bn";
    benchmark::RegisterBenchmark(name.c_str(), [c](benchmark::State& s) {
      run(s, c.what, "vgg16bn", kCifar, 100, 32, kF32);
    })->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Iterations(c.iterations);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
