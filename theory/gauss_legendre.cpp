#include "theory/gauss_legendre.hpp"

#include <boost/math/constants/constants.hpp>
#include <cmath>

#include "core/checks.hpp"
#include "core/errors.hpp"

namespace batchrmt::theory {

GaussLegendreRule gauss_legendre(int m) {
  check_bounded("gauss_legendre", "m", m, 1, 100000);
  constexpr double pi = boost::math::constants::pi<double>();
  GaussLegendreRule r;
  r.nodes.assign(m, 0.0);
  r.weights.assign(m, 0.0);
  for (int i = 0; i < (m + 1) / 2; ++i) {
    // Tricomi's initial guess for the i-th largest root.
    double x = std::cos(pi * (i + 0.75) / (m + 0.5));
    double dp = 0.0;
    bool converged = false;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1.0, p1 = x;
      for (int k = 2; k <= m; ++k) {
        const double p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      if (m == 1) p0 = 1.0;
      const double pm = (m == 1) ? x : p1;
      const double pm1 = (m == 1) ? 1.0 : p0;
      dp = m * (x * pm - pm1) / (x * x - 1.0);
      const double dx = pm / dp;
      x -= dx;
      if (std::abs(dx) <= 1e-16 * (1.0 + std::abs(x))) {
        converged = true;
        // recompute derivative at the final x
        double q0 = 1.0, q1 = x;
        for (int k = 2; k <= m; ++k) {
          const double q2 = ((2.0 * k - 1.0) * x * q1 - (k - 1.0) * q0) / k;
          q0 = q1;
          q1 = q2;
        }
        dp = (m == 1) ? 1.0 : m * (x * q1 - q0) / (x * x - 1.0);
        break;
      }
    }
    if (!converged && std::abs(dp) == 0.0)
      throw NumericalFailure("gauss_legendre: Newton's method did not converge for m = " + std::to_string(m) + ".");
    const double w = 2.0 / ((1.0 - x * x) * dp * dp);
    r.nodes[m - 1 - i] = x;
    r.nodes[i] = -x;
    r.weights[m - 1 - i] = w;
    r.weights[i] = w;
  }
  return r;
}

}  // namespace batchrmt::theory
