// Theory layer benchmarks: QVE solves (K = 2, 16, 256 blocks and a full P = 2000
// profile), one Tracy-Widom CDF value, a batch-Hessian table of 11 batch sizes.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
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

// Edge plus the outlier of a delocalised spike of strength 3 tau on profile `p` of dimension
// `dim`. Counter: products with the profile (fixed-point steps + Krylov iterations + Lanczos
// steps + one residual per Newton step).
void time_edge_and_outlier(benchmark::State& state, const th::QveProfile& p, int dim) {
  double matvecs = 0.0;
  for (auto _ : state) {
    th::QveSolver solver(p);
    const auto& e = solver.edge();
    const auto o = solver.outlier(3.0 * e.upper, Eigen::VectorXd::Constant(dim, 1.0 / dim));
    benchmark::DoNotOptimize(o.outlier);
    matvecs = e.fixed_point_iterations + e.krylov_iterations + e.lanczos_iterations + e.newton_iterations +
              o.fixed_point_iterations + o.krylov_iterations + o.newton_iterations;
  }
  state.counters["matvecs"] = matvecs;
}
}  // namespace

// Edge (bisection + fold Newton) plus the outlier of a delocalised spike of strength 3 tau.
static void BM_QveBlockEdgeAndOutlier(benchmark::State& state) {
  const int K = static_cast<int>(state.range(0));
  time_edge_and_outlier(state, profile(K, false), K);
}
BENCHMARK(BM_QveBlockEdgeAndOutlier)->Arg(2)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);

// Full P x P profile (matrix-free Newton-CG mode for P > newton_max_dim): edge (fold
// continuation) plus the outlier of a delocalised spike of strength 3 tau.
static void BM_QveFullProfileEdgeAndOutlier(benchmark::State& state) {
  const int P = static_cast<int>(state.range(0));
  time_edge_and_outlier(state, profile(P, true), P);
}
BENCHMARK(BM_QveFullProfileEdgeAndOutlier)->Arg(2000)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(1);

// A rougher full profile: s_jk = (0.5 + u_jk) / P with u_jk uniform on [0, 1) from a fixed
// seed (std::mt19937_64(20261126)): the stability operator is no longer low rank.
static void BM_QveRandomFullProfileEdgeAndOutlier(benchmark::State& state) {
  const int P = static_cast<int>(state.range(0));
  std::mt19937_64 gen(20261126);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  Eigen::MatrixXd s(P, P);
  for (int a = 0; a < P; ++a)
    for (int b = 0; b <= a; ++b) s(a, b) = s(b, a) = (0.5 + U(gen)) / P;
  time_edge_and_outlier(state, th::QveProfile::full(s), P);
}
BENCHMARK(BM_QveRandomFullProfileEdgeAndOutlier)->Arg(2000)->Unit(benchmark::kMillisecond)->Iterations(1);

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
