// Multiplicative spike on a white sample covariance (spiked covariance / GGN model).
//
// docs/theory.md §2.6 [STD]: population covariance Sigma = sigma^2 I + (ell - sigma^2) u u^T,
// sample covariance of m samples in dimension n, gamma = n/m. Baik, Ben Arous & Péché (2005)
// Ann. Probab. 33:1643; Baik & Silverstein (2006) J. Multivariate Anal. 97:1382;
// Paul (2007) Stat. Sinica 17:1617. Closed forms; theory/bgn.hpp holds the general route.
#pragma once

#include <optional>

#include "theory/regime.hpp"

namespace batchrmt::theory {

struct SpikedCovariancePrediction {
  double ell = 0.0, gamma = 0.0, sigma2 = 0.0;
  SpikeRegime regime = SpikeRegime::Subcritical;
  double threshold = 0.0;   // sigma^2 (1 + sqrt(gamma)) (in units of ell)
  double edge = 0.0;        // sigma^2 (1 + sqrt(gamma))^2
  double lower_edge = 0.0;  // sigma^2 (1 - sqrt(gamma))^2 (the smallest nonzero eigenvalue's limit)
  std::optional<double> outlier;  // ell (1 + gamma sigma^2/(ell - sigma^2)) above threshold
  double extreme = 0.0;           // outlier or edge
  double overlap = 0.0;           // (1 - g/(l-1)^2)/(1 + g/(l-1)) with l = ell/sigma^2
  // sqrt(m)(lambda - loc) => N(0, v): v = (2/beta) sigma^4 l^2 (1 - g/(l-1)^2), l = ell/sigma^2.
  double variance_coefficient = 0.0;
};

// ell > 0, gamma > 0, sigma2 > 0, beta in {1, 2}.
SpikedCovariancePrediction spiked_covariance(double ell, double gamma, double sigma2 = 1.0, int beta = 1);

// Standard deviation of the outlier with m samples: sqrt(v/m) (0 below threshold).
double spiked_covariance_outlier_sd(const SpikedCovariancePrediction& p, double m);

}  // namespace batchrmt::theory
