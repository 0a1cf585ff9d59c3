// Simulation layer benchmarks. Figures go to docs/performance.md; the NumPy side of
// the dense comparison is benchmarks/simulate_numpy_compare.py, which runs this binary too.
#include <benchmark/benchmark.h>

#include "core/rng.hpp"
#include "core/system.hpp"
#include "simulate/dense_spectrum.hpp"
#include "simulate/sample_pool.hpp"
#include "simulate/tridiagonal_models.hpp"
#include "simulate/wigner.hpp"

using namespace batchrmt;
using namespace batchrmt::simulate;

// Per iteration: a fresh full beta-Hermite model of size state.range(0) (spike theta, stream
// (seed, iteration)) and `measure` of it.
template <class Measure>
static void time_fresh_beta_hermite(benchmark::State& state, std::uint64_t seed, double theta, Measure measure) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  std::uint64_t trial = 0;
  for (auto _ : state) {
    RandomStream rng(seed, trial++);
    benchmark::DoNotOptimize(measure(sample_beta_hermite(n, 1.0, 1.0, theta, rng)));
  }
}

// Dense symmetric eigenvalues (values only), LAPACK dsyevd, on a GOE matrix. The matrix is
// copied back into the workspace outside the timing (dsyevd overwrites it).
static void BM_DenseEigenvalues(benchmark::State& state) {
  set_blas_threads(1);
  const auto n = static_cast<Eigen::Index>(state.range(0));
  RandomStream rng(1, 0);
  const Eigen::MatrixXd w = sample_wigner(n, 1.0, rng);
  Eigen::MatrixXd work(n, n);
  for (auto _ : state) {
    state.PauseTiming();
    work = w;
    state.ResumeTiming();
    benchmark::DoNotOptimize(symmetric_eigenvalues_in_place(work).data());
  }
}
BENCHMARK(BM_DenseEigenvalues)->Arg(1000)->Arg(2000)->Arg(4000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Top eigenvalue of a spiked GOE (theta = 2) from the full size-n beta-Hermite model: O(n)
// sampling (n normals, n-1 chi variates) plus Sturm bisection to double precision.
static void BM_SpikedGoeTopFullTridiagonal(benchmark::State& state) {
  time_fresh_beta_hermite(state, 2, 2.0, [](const auto& t) { return top_eigenvalue(t); });
}
BENCHMARK(BM_SpikedGoeTopFullTridiagonal)->Arg(100000)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond)->UseRealTime();

// One trial of `batchrmt simulate spiked-wigner --method tridiagonal` (apps/simulate_commands.cpp
// calls exactly these two functions per trial): sample the full beta-Hermite model (theta = 1.5)
// and take top and bottom from that one generation, both brackets warm-started. The CLI itself
// is timed end to end by benchmarks/run_idle.sh.
static void BM_SpikedWignerCliTrial(benchmark::State& state) {
  time_fresh_beta_hermite(state, 4, 1.5, [](const auto& t) { return extreme_eigenvalues(t); });
}
BENCHMARK(BM_SpikedWignerCliTrial)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

// Its two parts at n = 1e7: the generation alone, and the extremes of a fixed generation.
static void BM_BetaHermiteSample(benchmark::State& state) {
  time_fresh_beta_hermite(state, 4, 1.5, [](const auto& t) { return t.a.data(); });
}
BENCHMARK(BM_BetaHermiteSample)->Arg(10000000)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

static void BM_TridiagonalExtremesWarm(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  RandomStream rng(4, 0);
  const auto t = sample_beta_hermite(n, 1.0, 1.0, 1.5, rng);
  for (auto _ : state) benchmark::DoNotOptimize(extreme_eigenvalues(t));
}
BENCHMARK(BM_TridiagonalExtremesWarm)->Arg(10000000)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

// Same with the edge truncation K = 10 n^{1/3} (Edelman & Rao 2005): O(K) per sample.
static void BM_SpikedGoeTopTruncated(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  const auto K = edge_truncation_size(n);
  std::uint64_t trial = 0;
  for (auto _ : state) {
    RandomStream rng(3, trial++);
    benchmark::DoNotOptimize(top_eigenvalue(sample_beta_hermite(n, 1.0, 1.0, 2.0, rng, K)));
  }
}
BENCHMARK(BM_SpikedGoeTopTruncated)->Arg(100000)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The batch-Hessian sweep of the default job: P = 200, N = 1000, 11 batch sizes 1..1000,
// 10 subsets each (pool cached in memory, H_emp included).
static void BM_BatchHessianSweep(benchmark::State& state) {
  set_blas_threads(1);
  for (auto _ : state) {
    PoolSpec spec;
    spec.P = 200;
    spec.N = 1000;
    spec.spikes = {5.0, -3.0};
    spec.s2 = 0.01;
    SamplePool pool(spec, 7);
    pool.cache_samples(4e9);
    double acc = pool.empirical()(0, 0);
    for (std::int64_t B : {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000})
      for (std::uint64_t s = 0; s < 10; ++s) {
        Eigen::MatrixXd h = pool.batch_mean(batch_indices(1000, static_cast<std::size_t>(B), 7, s));
        acc += symmetric_eigenvalues_in_place(h)(199);
      }
    benchmark::DoNotOptimize(acc);
  }
}
BENCHMARK(BM_BatchHessianSweep)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

BENCHMARK_MAIN();
