// Lower edge of a batch GGN from the population covariance (ggn_lower_edge.hpp; docs/theory.md §2.6).
#include "theory/ggn_lower_edge.hpp"

#include <cmath>

#include "core/checks.hpp"

namespace batchrmt::theory {

EdgeScaling wishart_lower_edge_scaling(double n, double m, bool normalised) {
  check_at_least("wishart_lower_edge_scaling", "n", n, 1.0);
  check_at_least("wishart_lower_edge_scaling", "m", m, n + 1.0);
  const double a = std::sqrt(m - 0.5), b = std::sqrt(n - 0.5);
  EdgeScaling e{(a - b) * (a - b), (a - b) * std::cbrt(1.0 / b - 1.0 / a)};
  if (normalised) {
    e.center /= m;
    e.scale /= m;
  }
  return e;
}

PopulationLowerEdge ggn_population_lower_edge(double sigma2, double P, double m) {
  check_positive("ggn_population_lower_edge", "sigma2", sigma2);
  check_at_least("ggn_population_lower_edge", "P", P, 1.0);
  check_at_least("ggn_population_lower_edge", "m", m, 1.0);
  PopulationLowerEdge r;
  r.m = m;
  r.gamma = P / m;
  if (r.gamma >= 1.0) return r;  // rank deficient (or a hard edge at 0)
  const double s = 1.0 - std::sqrt(r.gamma);
  r.edge = sigma2 * s * s;
  if (m >= P + 1.0) {
    const auto tw = tracy_widom_moments(1);
    const EdgeScaling e = wishart_lower_edge_scaling(P, m, true);
    r.mean = sigma2 * (e.center - tw.mean * e.scale);
    r.sd = sigma2 * e.scale * std::sqrt(tw.variance);
  } else {  // P < m < P + 1: no finite-m correction available; the asymptotic edge
    r.mean = r.edge;
  }
  return r;
}

}  // namespace batchrmt::theory
