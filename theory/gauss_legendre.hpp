// Gauss–Legendre nodes and weights on [-1, 1] (Newton's method on the three-term recurrence
// of the Legendre polynomials; accurate to a few ulps for the sizes used here, m <= 1000).
// Standard; see e.g. Golub & Welsch (1969), Math. Comp. 23:221, docs/theory.md §5.6 references.
#pragma once

#include <vector>

namespace batchrmt::theory {

struct GaussLegendreRule {
  std::vector<double> nodes;    // increasing, in (-1, 1)
  std::vector<double> weights;  // positive, summing to 2
};

// m >= 1 points.
GaussLegendreRule gauss_legendre(int m);

}  // namespace batchrmt::theory
