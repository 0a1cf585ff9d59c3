#include "theory/spiked_covariance.hpp"

#include <cmath>

#include "core/checks.hpp"

namespace batchrmt::theory {

SpikedCovariancePrediction spiked_covariance(double ell, double gamma, double sigma2, int beta) {
  check_positive("spiked_covariance", "ell", ell);
  check_positive("spiked_covariance", "gamma", gamma);
  check_positive("spiked_covariance", "sigma2", sigma2);
  check_one_of("spiked_covariance", "beta", beta, {1, 2});
  SpikedCovariancePrediction p;
  p.ell = ell;
  p.gamma = gamma;
  p.sigma2 = sigma2;
  const double sg = std::sqrt(gamma);
  p.threshold = sigma2 * (1.0 + sg);
  p.edge = sigma2 * (1.0 + sg) * (1.0 + sg);
  p.lower_edge = sigma2 * (1.0 - sg) * (1.0 - sg);
  // §2.6: the sigma = 1 formulas applied to l = ell/sigma^2, eigenvalues multiplied by sigma^2.
  const double l = ell / sigma2;
  p.regime = regime_of(l, 1.0 + sg);
  p.extreme = p.edge;
  if (p.regime == SpikeRegime::Supercritical) {
    p.outlier = ell * (1.0 + gamma * sigma2 / (ell - sigma2));
    p.extreme = *p.outlier;
    const double q = gamma / ((l - 1.0) * (l - 1.0));
    p.overlap = (1.0 - q) / (1.0 + gamma / (l - 1.0));
    p.variance_coefficient = (2.0 / beta) * sigma2 * sigma2 * l * l * (1.0 - q);
  }
  return p;
}

double spiked_covariance_outlier_sd(const SpikedCovariancePrediction& p, double m) {
  return outlier_sd("spiked_covariance_outlier_sd", "m", p.regime, p.variance_coefficient, m);
}

}  // namespace batchrmt::theory
