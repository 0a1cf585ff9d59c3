// Stochastic Lanczos quadrature and Hutchinson estimators (docs/theory.md 5.6, 5.8).
//
// SLQ (Golub & Welsch 1969; Lin, Saad & Yang 2016, SIAM Rev. 58:34; Ubaru, Chen & Saad 2017,
// SIMAX 38:1075): n_v probes, each an m-step Lanczos run from q_1 = z / ||z||. The run's Ritz
// values theta_i (nodes) and squared first components tau_i = s_{1,i}^2 (weights) form an
// m-point Gauss quadrature for q_1^T f(A) q_1; averaging over probes estimates (1/n) tr f(A) since
// E[q_1 q_1^T] = I/n for Rademacher z (||z||^2 = n exactly) and for Gaussian z (uniform on the
// sphere). The error bar of every estimate is the between-probe standard error
// sd_l(estimate_l) / sqrt(n_v): it covers the probe (Hutchinson) variance, not the quadrature
// bias, which is negligible when m is large enough for f (exact for polynomials of degree < 2m).
//
// Probe l draws its start vector from RandomStream(seed, stream + l); the probes are independent
// and each is reproducible on its own. Exact identities per run (tests): sum_i tau_i = 1,
// sum_i tau_i theta_i = alpha_1, sum_i tau_i theta_i^2 = alpha_1^2 + beta_1^2.
//
// Hutchinson (1989): tr A = E[z^T A z], ||A||_F^2 = E[||A z||^2] for z with E[z z^T] = I
// (Rademacher: minimum variance for the trace; Gaussian as docs/theory.md 5.8 for the Frobenius norm).
// One stream RandomStream(seed, stream) feeds all probes in order.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "spectral/lanczos.hpp"
#include "spectral/operators.hpp"

namespace batchrmt::spectral {

struct SlqOptions {
  std::size_t steps = 100;   // m, Lanczos steps per probe (authors' default)
  std::size_t probes = 10;   // n_v (>= 2 for an error bar)
  StartVector probe = StartVector::Rademacher;  // Rademacher or Gaussian
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;  // probe l uses stream + l
  Reorthogonalization reorth = Reorthogonalization::Full;
  BasisStorage storage = BasisStorage::Fp64;
  double breakdown_tol = 1e-12;
};

struct SlqResult {
  std::size_t dimension = 0;
  std::size_t steps = 0;               // requested m
  std::vector<LanczosResult> runs;     // one per probe: alpha, beta, nodes (ritz_values), weights, residuals, stream
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;            // of probe 0
  StartVector probe = StartVector::Rademacher;
  std::int64_t applications = 0;
  double wall_seconds = 0.0;
};

// A scalar estimate with its between-probe standard error.
struct Estimate {
  double value = 0.0;
  double std_error = 0.0;   // sd over probes / sqrt(probes); NaN with one probe
  std::size_t samples = 0;  // probes
};

SlqResult slq_ref(OperatorRef op, const SlqOptions& options);
template <class Op>
SlqResult slq(const Op& op, const SlqOptions& options = {}) {
  static_assert(is_operator_v<Op>, "slq: Op must model the operator concept");
  return slq_ref(OperatorRef(op), options);
}

// Normalised spectral moment (1/n) tr A^p, p >= 0.
Estimate slq_moment(const SlqResult& r, int order);
// tr f(A) (not normalised): n * mean_l sum_i tau_i f(theta_i).
Estimate slq_trace(const SlqResult& r, const std::function<double(double)>& f);

enum class Broadening {
  StandardDeviation,  // Gaussian kernel of standard deviation sigma (the batchrmt convention)
  GhorbaniVariance,   // Ghorbani, Krishnan & Xiao 2019: variance 1e-5 max(1, range), 10 000-point
                      // grid on [mean min - 0.01, mean max + 0.01], renormalised to integrate to 1
};
const char* to_string(Broadening b);

struct DensityOptions {
  Broadening convention = Broadening::StandardDeviation;
  double sigma = 0.0;           // StandardDeviation: kernel sd; 0 -> (theta_max - theta_min) / m
  std::vector<double> grid;     // evaluation points; empty -> `points` points over the node range
  std::size_t points = 1000;    // (Ghorbani: 10 000 unless a grid is given)
  double margin_sigmas = 5.0;   // default grid: [theta_min - margin*sd, theta_max + margin*sd]
};

struct SlqDensity {
  std::vector<double> x;
  std::vector<double> density;     // mean over probes
  std::vector<double> std_error;   // between-probe standard error at each x
  Broadening convention = Broadening::StandardDeviation;
  double sigma = 0.0;              // kernel standard deviation actually used
  double variance = 0.0;           // sigma^2 (the number Ghorbani et al. quote)
  bool renormalised = false;       // Ghorbani: rescaled so the Riemann sum is 1
  std::string description;         // the convention in words, for the stored output
};
SlqDensity slq_density(const SlqResult& r, const DensityOptions& options = {});

// All nodes and weights of all probes, pooled (weights divided by the number of probes so they
// sum to 1): the discrete SLQ spectral measure.
struct SpectralMeasure {
  std::vector<double> nodes;
  std::vector<double> weights;
};
SpectralMeasure slq_measure(const SlqResult& r);

// ---------------------------------------------------------------------------------------------
struct HutchinsonOptions {
  std::size_t probes = 100;
  StartVector probe = StartVector::Rademacher;  // Rademacher or Gaussian
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
};

struct HutchinsonResult {
  Estimate estimate;
  std::vector<double> samples;   // per-probe values z^T A z (or ||A z||^2)
  StartVector probe = StartVector::Rademacher;
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
  std::int64_t applications = 0;
  double wall_seconds = 0.0;
};

HutchinsonResult hutchinson_trace_ref(OperatorRef op, const HutchinsonOptions& options);
HutchinsonResult hutchinson_frobenius_squared_ref(OperatorRef op, const HutchinsonOptions& options);
// tr A.
template <class Op>
HutchinsonResult hutchinson_trace(const Op& op, const HutchinsonOptions& options = {}) {
  return hutchinson_trace_ref(OperatorRef(op), options);
}
// ||A||_F^2 (docs/theory.md 5.8 uses Gaussian probes: set options.probe = StartVector::Gaussian).
template <class Op>
HutchinsonResult hutchinson_frobenius_squared(const Op& op, const HutchinsonOptions& options = {}) {
  return hutchinson_frobenius_squared_ref(OperatorRef(op), options);
}

// Mean and standard error of samples (NaN error for fewer than two).
Estimate mean_and_std_error(const std::vector<double>& samples);

}  // namespace batchrmt::spectral
