#include "theory/tracy_widom.hpp"

#include <Eigen/Dense>
#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/airy.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "theory/gauss_legendre.hpp"

namespace batchrmt::theory {

namespace {
constexpr double kPi = boost::math::constants::pi<double>();

void check_beta(const char* fn, int beta) { check_one_of(fn, "beta", beta, {1, 2}); }

double airy_ai(double x) {
  // Beyond x ~ 105 Ai underflows; Boost returns 0 there already, but guard against huge args.
  if (x > 200.0) return 0.0;
  return boost::math::airy_ai(x);
}
double airy_ai_prime(double x) {
  if (x > 200.0) return 0.0;
  return boost::math::airy_ai_prime(x);
}
}  // namespace

double tracy_widom_cdf(int beta, double s, const TracyWidomOptions& opt) {
  const char* fn = "tracy_widom_cdf";
  check_beta(fn, beta);
  check_finite(fn, "s", s);
  check_bounded(fn, "nodes", opt.nodes, 4, 2000);
  const GaussLegendreRule rule = gauss_legendre(opt.nodes);
  const int m = opt.nodes;
  Eigen::VectorXd x(m), sw(m);
  for (int i = 0; i < m; ++i) {
    const double t = kPi * (rule.nodes[i] + 1.0) / 4.0;
    const double c = std::cos(t);
    x(i) = s + 10.0 * std::tan(t);
    // weight times the Jacobian dx/dxi = 10 (pi/4) / cos^2 t
    sw(i) = std::sqrt(rule.weights[i] * 10.0 * (kPi / 4.0) / (c * c));
  }
  Eigen::MatrixXd M(m, m);
  if (beta == 2) {
    Eigen::VectorXd ai(m), aip(m);
    for (int i = 0; i < m; ++i) {
      ai(i) = airy_ai(x(i));
      aip(i) = airy_ai_prime(x(i));
    }
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < m; ++j) {
        double k;
        if (i == j)
          k = aip(i) * aip(i) - x(i) * ai(i) * ai(i);
        else
          k = (ai(i) * aip(j) - aip(i) * ai(j)) / (x(i) - x(j));
        M(i, j) = (i == j ? 1.0 : 0.0) - sw(i) * k * sw(j);
      }
  } else {
    for (int i = 0; i < m; ++i)
      for (int j = i; j < m; ++j) {
        const double k = 0.5 * airy_ai(0.5 * (x(i) + x(j)));
        const double v = (i == j ? 1.0 : 0.0) - sw(i) * k * sw(j);
        M(i, j) = v;
        M(j, i) = v;
      }
  }
  const double d = M.partialPivLu().determinant();
  return std::min(1.0, std::max(0.0, d));
}

double tracy_widom_pdf(int beta, double s, const TracyWidomOptions& opt) {
  const double h = 1e-3;
  const double fp1 = tracy_widom_cdf(beta, s + h, opt), fm1 = tracy_widom_cdf(beta, s - h, opt);
  const double fp2 = tracy_widom_cdf(beta, s + 2 * h, opt), fm2 = tracy_widom_cdf(beta, s - 2 * h, opt);
  return (-fp2 + 8.0 * fp1 - 8.0 * fm1 + fm2) / (12.0 * h);
}

double tracy_widom_quantile(int beta, double p, const TracyWidomOptions& opt) {
  const char* fn = "tracy_widom_quantile";
  check_beta(fn, beta);
  if (!(p > 0.0 && p < 1.0))
    ::batchrmt::detail::fail_check(fn, "p", ::batchrmt::detail::format_value(p), "must lie in the open interval (0, 1)");
  const double lo = -12.0, hi = 16.0;
  auto f = [&](double s) { return tracy_widom_cdf(beta, s, opt) - p; };
  const double flo = f(lo), fhi = f(hi);
  if (!(flo < 0.0 && fhi > 0.0))
    throw NumericalFailure("tracy_widom_quantile: p = " + std::to_string(p) +
                           " is outside what double precision resolves on [-12, 16].");
  std::uintmax_t max_iter = 100;
  auto r = boost::math::tools::toms748_solve(f, lo, hi, flo, fhi, boost::math::tools::eps_tolerance<double>(50),
                                             max_iter);
  return 0.5 * (r.first + r.second);
}

TracyWidomMoments tracy_widom_moments(int beta, const TracyWidomOptions& opt) {
  check_beta("tracy_widom_moments", beta);
  static std::mutex mu;
  static std::map<std::pair<int, int>, TracyWidomMoments> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find({beta, opt.nodes});
    if (it != cache.end()) return it->second;
  }
  // E X^k = k ∫_0^inf s^{k-1} (1 - F) ds - k ∫_{-inf}^0 s^{k-1} F ds  (integration by parts).
  const double L = -12.0, R = 16.0;
  const int q = 100;
  const GaussLegendreRule rule = gauss_legendre(q);
  double raw[5] = {1.0, 0.0, 0.0, 0.0, 0.0};
  int evals = 0;
  for (int side = 0; side < 2; ++side) {
    const double a = side == 0 ? L : 0.0, b = side == 0 ? 0.0 : R;
    for (int i = 0; i < q; ++i) {
      const double s = 0.5 * (b - a) * rule.nodes[i] + 0.5 * (a + b);
      const double w = 0.5 * (b - a) * rule.weights[i];
      const double F = tracy_widom_cdf(beta, s, opt);
      ++evals;
      const double g = side == 0 ? -F : (1.0 - F);
      double sp = 1.0;  // s^{k-1}
      for (int k = 1; k <= 4; ++k) {
        raw[k] += k * sp * g * w;
        sp *= s;
      }
    }
  }
  TracyWidomMoments mo;
  const double m1 = raw[1];
  mo.mean = m1;
  mo.variance = raw[2] - m1 * m1;
  const double mu3 = raw[3] - 3 * m1 * raw[2] + 2 * m1 * m1 * m1;
  const double mu4 = raw[4] - 4 * m1 * raw[3] + 6 * m1 * m1 * raw[2] - 3 * m1 * m1 * m1 * m1;
  mo.skewness = mu3 / std::pow(mo.variance, 1.5);
  mo.excess_kurtosis = mu4 / (mo.variance * mo.variance) - 3.0;
  mo.cdf_evaluations = evals;
  std::lock_guard<std::mutex> lock(mu);
  cache[{beta, opt.nodes}] = mo;
  return mo;
}

EdgeScaling wigner_edge_scaling(double n, double sigma) {
  check_positive("wigner_edge_scaling", "n", n);
  check_positive("wigner_edge_scaling", "sigma", sigma);
  return {2.0 * sigma, sigma * std::pow(n, -2.0 / 3.0)};
}

EdgeScaling square_root_edge_scaling(double tau, double c, double n) {
  check_finite("square_root_edge_scaling", "tau", tau);
  check_positive("square_root_edge_scaling", "c", c);
  check_positive("square_root_edge_scaling", "n", n);
  return {tau, std::pow(c * n, -2.0 / 3.0)};
}

EdgeScaling wishart_edge_scaling(double n, double m, bool normalised) {
  check_at_least("wishart_edge_scaling", "n", n, 1.0);
  check_at_least("wishart_edge_scaling", "m", m, 1.0);
  const double a = std::sqrt(m - 0.5), b = std::sqrt(n - 0.5);
  EdgeScaling e{(a + b) * (a + b), (a + b) * std::cbrt(1.0 / a + 1.0 / b)};
  if (normalised) {
    e.center /= m;
    e.scale /= m;
  }
  return e;
}

}  // namespace batchrmt::theory
