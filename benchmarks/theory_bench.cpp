// Theory layer benchmarks (issue 3): QVE solves (K = 2, 16, 256 blocks and a full P = 2000
// profile), one Tracy-Widom CDF value, a batch-Hessian table of 11 batch sizes.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "theory/batch_hessian.hpp"
#include "theory/qve.hpp"
#include "theory/tracy_widom.hpp"

namespace th = batchrmt::theory;

namespace {
// A deterministic smooth block profile: s_ab = (1 + 0.5 cos(a - b) + a b / K^2) / n.
th::QveProfile profile(int K, bool full) {
  Eigen::MatrixXd s(K, K);
  for (int a = 0; a < K; ++a)
    for (int b = 0; b < K; ++b) s(a, b) = (1.0 + 0.5 * std::cos(a - b) + double(a) * b / (double(K) * K)) / K;
  if (full) return th::QveProfile::full(s);
  return th::QveProfile::block(Eigen::VectorXd::Constant(K, 1.0), s);
}
}  // namespace

// Edge (bisection + fold Newton) plus the outlier of a delocalised spike of strength 3 tau.
static void BM_QveBlockEdgeAndOutlier(benchmark::State& state) {
  const int K = static_cast<int>(state.range(0));
  const auto p = profile(K, false);
  for (auto _ : state) {
    th::QveSolver solver(p);
    const auto& e = solver.edge();
    const auto o = solver.outlier(3.0 * e.upper, Eigen::VectorXd::Constant(K, 1.0 / K));
    benchmark::DoNotOptimize(o.outlier);
  }
}
BENCHMARK(BM_QveBlockEdgeAndOutlier)->Arg(2)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);

static void BM_QveFullProfileEdge(benchmark::State& state) {
  const int P = static_cast<int>(state.range(0));
  const auto p = profile(P, true);
  for (auto _ : state) {
    th::QveSolver solver(p);
    benchmark::DoNotOptimize(solver.edge().upper);
  }
}
BENCHMARK(BM_QveFullProfileEdge)->Arg(2000)->Unit(benchmark::kMillisecond)->Iterations(1);

static void BM_TracyWidomCdf(benchmark::State& state) {
  const int beta = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(th::tracy_widom_cdf(beta, -2.0));
}
BENCHMARK(BM_TracyWidomCdf)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

static void BM_BatchHessianTable(benchmark::State& state) {
  const std::vector<std::int64_t> Bs = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  for (auto _ : state) {
    auto rows = th::batch_hessian_table({30.0, 12.0, -8.0}, 1e6, 1e-4, 50000, Bs);
    benchmark::DoNotOptimize(rows.data());
  }
}
BENCHMARK(BM_BatchHessianTable)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
