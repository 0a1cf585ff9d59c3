// Spectral core benchmarks: Lanczos overhead beyond the operator, dense top eigenvalue
// (Spectra vs LAPACK dsyevd vs our Lanczos), Sturm bisection at n = 1e6, 1e7.
//
//   build/<dir>/benchmarks/spectral_bench --benchmark_filter=...   (figures: docs/performance.md)
//
// One run per benchmark: benchmarks/run_idle.sh (section spectral) runs each case in its own
// process --reps times and reports the medians; add --benchmark_repetitions=N for N in one process.
#include <benchmark/benchmark.h>

#include <lapacke.h>

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "core/rng.hpp"
#include "spectral/eigs.hpp"
#include "spectral/lanczos.hpp"
#include "spectral/operators.hpp"
#include "spectral/tridiagonal.hpp"

namespace bs = batchrmt::spectral;

namespace {

// y = d .* x: the cheapest sensible operator (3 vector passes), so the Lanczos loop dominates.
class DiagonalOperator {
 public:
  explicit DiagonalOperator(Eigen::VectorXd d) : d_(std::move(d)) {}
  Eigen::Index rows() const { return d_.size(); }
  void apply(const double* x, double* y) const {
    Eigen::Map<Eigen::VectorXd>(y, d_.size()) = d_.cwiseProduct(Eigen::Map<const Eigen::VectorXd>(x, d_.size()));
  }

 private:
  Eigen::VectorXd d_;
};

// Plain-copy bandwidth in the same process (bytes read + bytes written per second), median of 7
// copies of a 256 MiB buffer. Measured once and cached.
double copy_bandwidth() {
  static const double bw = [] {
    const std::size_t n = (256u << 20) / sizeof(double);
    std::vector<double> a(n, 1.0), b(n, 0.0);
    std::vector<double> times;
    for (int rep = 0; rep < 7; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      std::memcpy(b.data(), a.data(), n * sizeof(double));
      benchmark::DoNotOptimize(b.data());
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      a[rep] = b[n - 1 - static_cast<std::size_t>(rep)];
    }
    std::sort(times.begin(), times.end());
    return 2.0 * static_cast<double>(n * sizeof(double)) / times[3];
  }();
  return bw;
}

void BM_CopyBandwidth(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(copy_bandwidth());
  state.counters["copy_GBps"] = copy_bandwidth() / 1e9;
}
BENCHMARK(BM_CopyBandwidth)->Iterations(1);

// Args: P, m, storage (0 fp64, 1 fp32). Full reorthogonalisation, two CGS passes.
void BM_LanczosOverhead(benchmark::State& state) {
  const auto p = static_cast<Eigen::Index>(state.range(0));
  const auto m = static_cast<std::size_t>(state.range(1));
  const bool fp32 = state.range(2) == 1;
  Eigen::VectorXd d(p);
  batchrmt::RandomStream rng(1, 0);
  rng.fill_normal(d.data(), static_cast<std::size_t>(p));
  const DiagonalOperator op(std::move(d));
  bs::LanczosOptions o;
  o.steps = m;
  o.storage = fp32 ? bs::BasisStorage::Fp32 : bs::BasisStorage::Fp64;
  bs::Lanczos lz(o);
  lz.compute(op);  // warm-up: first touch of the basis pages is not a per-step cost
  const double copy_bw = copy_bandwidth();
  double op_s = 0, re_s = 0, loop_s = 0;
  std::int64_t runs = 0;
  for (auto _ : state) {
    lz.compute(op);
    const auto& r = lz.result();
    op_s += r.operator_seconds;
    re_s += r.reorth_seconds;
    loop_s += r.loop_seconds;
    ++runs;
  }
  const double steps = static_cast<double>(lz.result().steps) * static_cast<double>(runs);
  const double other_s = loop_s - op_s - re_s;
  // Bytes the reorthogonalisation reads from the basis: passes + 1 sweeps over the j columns (the
  // update of one pass and the projection of the next share a sweep, spectral/lanczos.cpp cgs);
  // step j (1-based) projects against j columns.
  const double ms = static_cast<double>(lz.result().steps);
  const double bytes = static_cast<double>(runs) * (o.passes + 1.0) * (ms * (ms + 1) / 2.0) *
                       static_cast<double>(p) * (fp32 ? 4.0 : 8.0);
  const double re_bw = bytes / re_s;
  state.counters["op_ms_step"] = 1e3 * op_s / steps;
  state.counters["reorth_ms_step"] = 1e3 * re_s / steps;
  state.counters["other_ms_step"] = 1e3 * other_s / steps;
  state.counters["reorth_GBps"] = re_bw / 1e9;
  state.counters["copy_GBps"] = copy_bw / 1e9;
  state.counters["reorth_bw_frac"] = re_bw / copy_bw;
  // Share of "everything else" in a step whose operator is this diagonal, and in a step whose
  // operator takes 50 ms (a CPU network HVP).
  state.counters["other_share"] = other_s / loop_s;
  state.counters["other_share_50ms"] = (other_s / steps) / (0.05 + (re_s + other_s) / steps);
  // Reorth time at step j is c j P; the crossover step with a 50 ms operator: j* = 0.05 / (c P).
  const double c = re_s / (static_cast<double>(runs) * (ms * (ms + 1) / 2.0) * static_cast<double>(p));
  state.counters["crossover_m_50ms"] = 0.05 / (c * static_cast<double>(p));
  state.counters["basis_GB"] = static_cast<double>(p) * static_cast<double>(m) * (fp32 ? 4.0 : 8.0) / 1e9;
}
BENCHMARK(BM_LanczosOverhead)
    ->Args({100000, 20, 0})
    ->Args({100000, 100, 0})
    ->Args({1000000, 20, 0})
    ->Args({1000000, 100, 0})
    ->Args({100000, 100, 1})
    ->Args({1000000, 100, 1})
    ->Args({10000000, 20, 0})
    ->Args({10000000, 20, 1})  // fp32, 20 steps: the vgg16bn Lanczos regime (P = 1.5e7)
    ->Args({10000000, 100, 1})  // fp32: a 4 GB basis (fp64 would be 8 GB)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

Eigen::MatrixXd spiked_goe(Eigen::Index n, double theta, std::uint64_t seed) {
  batchrmt::RandomStream rng(seed, 0);
  Eigen::MatrixXd w(n, n);
  const double s = 1.0 / std::sqrt(static_cast<double>(n));
  for (Eigen::Index j = 0; j < n; ++j) {
    w(j, j) = std::sqrt(2.0) * s * rng.normal();
    for (Eigen::Index i = j + 1; i < n; ++i) w(i, j) = w(j, i) = s * rng.normal();
  }
  Eigen::VectorXd v(n);
  rng.fill_normal(v.data(), static_cast<std::size_t>(n));
  v.normalize();
  w += theta * v * v.transpose();
  return w;
}

const Eigen::MatrixXd& dense4000() {
  static const Eigen::MatrixXd a = spiked_goe(4000, 3.0, 11);  // outlier ~3.33, bulk edge 2
  return a;
}

// Top eigenvalue of dense4000() by one of the sparse solvers, with its operator applications.
void time_dense_top(benchmark::State& state, bs::EigsMethod method) {
  const Eigen::MatrixXd& a = dense4000();
  bs::EigsOptions o;
  o.tol = 1e-10;
  o.true_residuals = false;
  bs::EigsResult r;
  for (auto _ : state) r = bs::eigs(bs::DenseOperator(a), o, method);
  state.counters["top"] = r.values.at(0);
  state.counters["applications"] = static_cast<double>(r.applications);
}
void BM_DenseTopSpectra(benchmark::State& state) { time_dense_top(state, bs::EigsMethod::Spectra); }
void BM_DenseTopLanczos(benchmark::State& state) { time_dense_top(state, bs::EigsMethod::Lanczos); }
void BM_DenseTopLapackDsyevd(benchmark::State& state) {
  const Eigen::MatrixXd& a = dense4000();
  Eigen::VectorXd w(a.rows());
  for (auto _ : state) {
    Eigen::MatrixXd work = a;
    const lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'L', static_cast<lapack_int>(a.rows()),
                                           work.data(), static_cast<lapack_int>(a.rows()), w.data());
    if (info != 0) state.SkipWithError("dsyevd failed");
  }
  state.counters["top"] = w[w.size() - 1];
}
BENCHMARK(BM_DenseTopSpectra)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DenseTopLanczos)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DenseTopLapackDsyevd)->Unit(benchmark::kMillisecond)->Iterations(1);

// Args: n, shifts per sweep. Tridiagonal with a ~ N(0, 2), b ~ N(0, 1) entries scaled by
// 1/sqrt(n) (a GOE-like scale), top eigenvalue to full precision.
void BM_SturmTop(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  batchrmt::RandomStream rng(3, 0);
  Eigen::VectorXd a(n), b(n - 1);
  rng.fill_normal(a.data(), static_cast<std::size_t>(n));
  rng.fill_normal(b.data(), static_cast<std::size_t>(n - 1));
  const double s = 1.0 / std::sqrt(static_cast<double>(n));
  a *= std::sqrt(2.0) * s;
  b *= s;
  bs::BisectionOptions bo;
  bo.shifts_per_sweep = static_cast<int>(state.range(1));
  bs::BisectionResult r;
  for (auto _ : state) r = bs::tridiagonal_kth_largest(a, b, 1, bo);
  state.counters["sweeps"] = r.sweeps;
  state.counters["shifts"] = static_cast<double>(r.shifts);
  state.counters["s_per_entry_shift"] =
      benchmark::Counter(static_cast<double>(n) * static_cast<double>(r.shifts),
                         benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SturmTop)
    ->Args({1000000, 1})
    ->Args({1000000, 4})
    ->Args({1000000, 8})
    ->Args({10000000, 1})
    ->Args({10000000, 4})
    ->Args({10000000, 8})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
