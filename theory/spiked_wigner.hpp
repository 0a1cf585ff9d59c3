// Additive rank-one (or orthonormal rank-r) spike on a Wigner matrix: the BBP transition.
//
// docs/theory.md §2.3 [STD]: H = W + theta v v^T, W Wigner with semicircle on [-2 sigma, 2 sigma]
// (§2.1 normalisation E W_jk^2 = sigma^2/n). Péché (2006) PTRF 134:127; Féral & Péché (2007)
// CMP 272:185; Capitaine, Donati-Martin & Féral (2009) Ann. Probab. 37:1; Benaych-Georges &
// Nadakuditi (2011) Adv. Math. 227:494. These are the closed forms; theory/bgn.hpp is the
// general route that tests compare them with.
#pragma once

#include <optional>

#include "theory/regime.hpp"

namespace batchrmt::theory {

struct SpikedWignerPrediction {
  double theta = 0.0;
  double sigma = 0.0;
  SpikeRegime regime = SpikeRegime::Subcritical;
  double threshold = 0.0;  // sigma (for |theta|)
  double edge = 0.0;       // the bulk edge on the spike's side: ±2 sigma
  // theta + sigma^2/theta when |theta| > sigma; otherwise nothing (the extreme eigenvalue is
  // the edge).
  std::optional<double> outlier;
  // The predicted extreme eigenvalue on the spike's side: the outlier or the edge.
  double extreme = 0.0;
  // Squared overlap |<v~, v>|^2 -> (1 - sigma^2/theta^2)_+.
  double overlap = 0.0;
  // CLT variance coefficient: sqrt(n)(lambda - rho) => N(0, v), v = (2/beta) sigma^2 (1 - sigma^2/theta^2).
  double variance_coefficient = 0.0;
};

// docs/theory.md §2.3 table [STD]. theta may be negative (mirror image: outlier below -2 sigma);
// theta = 0 is allowed (no spike: the edge). beta in {1, 2}.
SpikedWignerPrediction spiked_wigner(double theta, double sigma, int beta = 1);

// Standard deviation of the outlier at finite n: sqrt(v / n) (docs/theory.md §2.3, CLT row).
// Only meaningful above threshold; returns 0 otherwise.
double spiked_wigner_outlier_sd(const SpikedWignerPrediction& p, double n);

}  // namespace batchrmt::theory
