#include "theory/semicircle.hpp"

#include <boost/math/constants/constants.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>

#include "core/checks.hpp"
#include "theory/stieltjes_util.hpp"

namespace batchrmt::theory {

namespace {
constexpr double kPi = boost::math::constants::pi<double>();
}

Semicircle::Semicircle(double sigma) : sigma_(sigma) { check_positive("Semicircle", "sigma", sigma); }

double Semicircle::density(double x) const {
  const double r2 = 4.0 * sigma_ * sigma_;
  if (!(x * x < r2)) return 0.0;
  return std::sqrt(r2 - x * x) / (2.0 * kPi * sigma_ * sigma_);
}

double Semicircle::cdf(double x) const {
  const double r = 2.0 * sigma_;
  if (x <= -r) return 0.0;
  if (x >= r) return 1.0;
  return 0.5 + x * std::sqrt(r * r - x * x) / (kPi * r * r) + std::asin(x / r) / kPi;
}

double Semicircle::quantile(double p) const {
  check_bounded("Semicircle::quantile", "p", p, 0.0, 1.0);
  if (p == 0.0) return lower_edge();
  if (p == 1.0) return upper_edge();
  std::uintmax_t max_iter = 200;
  auto f = [&](double x) { return cdf(x) - p; };
  auto r = boost::math::tools::toms748_solve(f, lower_edge(), upper_edge(), -p, 1.0 - p,
                                             boost::math::tools::eps_tolerance<double>(52), max_iter);
  return 0.5 * (r.first + r.second);
}

double Semicircle::moment(int k) const {
  check_nonnegative("Semicircle::moment", "k", k);
  if (k % 2 == 1) return 0.0;
  const int h = k / 2;
  // Catalan number Cat_h = binom(2h, h)/(h+1), accumulated in floating point.
  double cat = 1.0;
  for (int i = 0; i < h; ++i) cat = cat * 2.0 * (2.0 * i + 1.0) / (i + 2.0);
  return cat * std::pow(sigma_, k);
}

std::complex<double> Semicircle::stieltjes(std::complex<double> z) const {
  z = branch::upper_zero(z);
  const double s2 = sigma_ * sigma_;
  const std::complex<double> root = std::sqrt(z - 2.0 * sigma_) * std::sqrt(z + 2.0 * sigma_);
  // Of the two algebraically equal forms pick the one without cancellation:
  // m = (-z + R)/(2 s2) = -2/(z + R).
  const std::complex<double> a = -z + root, b = z + root;
  if (std::abs(b) >= std::abs(a)) return -2.0 / b;
  return a / (2.0 * s2);
}

double Semicircle::stieltjes_real(double x) const {
  check_finite("Semicircle::stieltjes_real", "x", x);
  if (std::abs(x) < 2.0 * sigma_)
    ::batchrmt::detail::fail_check("Semicircle::stieltjes_real", "x", ::batchrmt::detail::format_value(x),
                       "must lie outside the open support (-2 sigma, 2 sigma)");
  return stieltjes({x, 0.0}).real();
}

double Semicircle::stieltjes_real_derivative(double x) const {
  // Differentiate sigma^2 m^2 + x m + 1 = 0: m' = -m / (2 sigma^2 m + x).
  const double m = stieltjes_real(x);
  return -m / (2.0 * sigma_ * sigma_ * m + x);
}

double Semicircle::edge_constant() const { return std::pow(sigma_, -1.5); }

}  // namespace batchrmt::theory
