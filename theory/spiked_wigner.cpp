#include "theory/spiked_wigner.hpp"

#include <cmath>

#include "core/checks.hpp"

namespace batchrmt::theory {

SpikedWignerPrediction spiked_wigner(double theta, double sigma, int beta) {
  check_finite("spiked_wigner", "theta", theta);
  check_positive("spiked_wigner", "sigma", sigma);
  check_one_of("spiked_wigner", "beta", beta, {1, 2});
  SpikedWignerPrediction p;
  p.theta = theta;
  p.sigma = sigma;
  p.threshold = sigma;
  const double sign = theta < 0.0 ? -1.0 : 1.0;
  p.edge = sign * 2.0 * sigma;
  const double a = std::abs(theta);
  p.regime = regime_of(a, sigma);
  p.extreme = p.edge;
  if (p.regime == SpikeRegime::Supercritical) {
    // §2.3: rho(theta) = theta + sigma^2/theta; overlap 1 - sigma^2/theta^2;
    // variance (2/beta) sigma^2 (1 - sigma^2/theta^2).
    const double q = sigma * sigma / (theta * theta);
    p.outlier = theta + sigma * sigma / theta;
    p.extreme = *p.outlier;
    p.overlap = 1.0 - q;
    p.variance_coefficient = (2.0 / beta) * sigma * sigma * (1.0 - q);
  }
  return p;
}

double spiked_wigner_outlier_sd(const SpikedWignerPrediction& p, double n) {
  return outlier_sd("spiked_wigner_outlier_sd", "n", p.regime, p.variance_coefficient, n);
}

}  // namespace batchrmt::theory
