#include "verify/sampler_checks.hpp"

#include <chrono>
#include <cmath>

#include "core/checks.hpp"
#include "core/rng.hpp"
#include "core/system.hpp"
#include "simulate/wigner.hpp"

namespace batchrmt::verify {

std::uint64_t stream_id(std::uint32_t experiment_id, std::uint32_t trial) {
  return (static_cast<std::uint64_t>(experiment_id) << 32) | trial;
}

TraceCheck goe_trace_check(std::int64_t n, double sigma, std::int64_t trials, std::uint64_t seed) {
  check_at_least<std::int64_t>("goe_trace_check", "n", n, 2);
  check_positive("goe_trace_check", "sigma", sigma);
  check_at_least<std::int64_t>("goe_trace_check", "trials", trials, 2);
  // One dense n x n sample at a time: refused before allocating when it cannot fit.
  check_memory_budget("the GOE trace check with n = " + std::to_string(n) + " (a dense n x n matrix)",
                      8.0 * static_cast<double>(n) * static_cast<double>(n));
  const auto start = std::chrono::steady_clock::now();
  TraceCheck c;
  c.n = n;
  c.trials = trials;
  c.sigma = sigma;
  c.seed = seed;
  const double nd = static_cast<double>(n);
  const double s2 = sigma * sigma;
  c.prediction = s2 * (nd + 1.0);
  c.variance = s2 * s2 * (8.0 / nd + 4.0 * (nd - 1.0) / nd);
  for (std::int64_t t = 0; t < trials; ++t) {
    const std::uint64_t stream = stream_id(kGoeTraceExperiment, static_cast<std::uint32_t>(t));
    RandomStream rng(seed, stream);
    const Eigen::MatrixXd w = simulate::sample_wigner(n, sigma, rng);
    c.streams.push_back(stream);
    c.trace_w2.push_back(w.squaredNorm());  // tr W^2 = ||W||_F^2 for symmetric W
  }
  c.summary = summarize(c.trace_w2);
  c.test = z_test(c.prediction, c.summary.mean, std::sqrt(c.variance / static_cast<double>(trials)), 0.0);
  c.verdict = c.test.passed ? Verdict::agrees : Verdict::disagrees;
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return c;
}

}  // namespace batchrmt::verify
