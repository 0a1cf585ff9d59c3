#include "networks/gradient_noise.hpp"

#include <cmath>

#include "core/checks.hpp"
#include "core/rng.hpp"

namespace batchrmt::networks {

GradientNoise measure_gradient_noise(const CurvatureOperator& full, std::size_t samples, std::uint64_t seed,
                                     std::uint64_t stream) {
  const std::size_t N = full.samples();
  GradientNoise out;
  out.samples = std::min(std::max<std::size_t>(samples, 2), N);
  out.mean_gradient = full.gradient();
  out.gradient_norm2 = out.mean_gradient.squaredNorm();
  out.variance = Eigen::VectorXd::Zero(out.mean_gradient.size());
  const auto picked = batch_indices(N, out.samples, seed, stream);
  const auto& population = full.indices();
  for (std::size_t i : picked) {
    const std::size_t item = population[i];
    const Eigen::VectorXd deviation = full.with_indices({item}).gradient() - out.mean_gradient;
    out.variance += deviation.cwiseAbs2();
    out.deviation_norm2.push_back(deviation.squaredNorm());
    out.indices.push_back(static_cast<std::int64_t>(item));
  }
  const double M = static_cast<double>(out.samples);
  out.variance /= M;
  double mean = 0, ss = 0;
  for (double d : out.deviation_norm2) mean += d;
  mean /= M;
  for (double d : out.deviation_norm2) ss += (d - mean) * (d - mean);
  out.trace = mean;
  out.trace_se = std::sqrt(ss / (M - 1) / M);
  out.b_simple = out.trace / out.gradient_norm2;
  out.b_simple_se = out.trace_se / out.gradient_norm2;
  return out;
}

double isotropic_adam_preconditioner(const GradientNoise& noise, double kappa, double eps) {
  check_positive("isotropic_adam_preconditioner", "eps", eps);
  const double vbar = noise.mean_gradient.squaredNorm() / static_cast<double>(noise.mean_gradient.size()) + kappa * noise.variance.mean();
  return 1.0 / (std::sqrt(vbar) + eps);
}

}  // namespace batchrmt::networks
