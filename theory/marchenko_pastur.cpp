#include "theory/marchenko_pastur.hpp"

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>

#include "core/checks.hpp"
#include "theory/stieltjes_util.hpp"

namespace batchrmt::theory {

namespace {
constexpr double kPi = boost::math::constants::pi<double>();
}

MarchenkoPastur::MarchenkoPastur(double gamma, double sigma2) : gamma_(gamma), sigma2_(sigma2) {
  check_positive("MarchenkoPastur", "gamma", gamma);
  check_positive("MarchenkoPastur", "sigma2", sigma2);
}

double MarchenkoPastur::lower_edge() const {
  const double s = 1.0 - std::sqrt(gamma_);
  return sigma2_ * s * s;
}
double MarchenkoPastur::upper_edge() const {
  const double s = 1.0 + std::sqrt(gamma_);
  return sigma2_ * s * s;
}
double MarchenkoPastur::atom_at_zero() const { return gamma_ > 1.0 ? 1.0 - 1.0 / gamma_ : 0.0; }

double MarchenkoPastur::density(double x) const {
  const double a = lower_edge(), b = upper_edge();
  if (!(x > a && x < b) || x <= 0.0) return 0.0;
  return std::sqrt((b - x) * (x - a)) / (2.0 * kPi * sigma2_ * gamma_ * x);
}

double MarchenkoPastur::cdf(double x) const {
  const double a = lower_edge(), b = upper_edge();
  if (x < 0.0) return 0.0;
  const double atom = atom_at_zero();
  if (x <= a) return atom;
  if (x >= b) return 1.0;
  // x(t) = a + (b - a)(1 - cos t)/2, t in [0, pi]; rho dx = ((b-a)/2)^2 sin^2 t / (2 pi s2 gamma x(t)) dt.
  const double h = 0.5 * (b - a);
  auto integrand = [&](double t) {
    // 1 - cos t = 2 sin^2(t/2) avoids cancellation near t = 0; sin t = 2 sin(t/2) cos(t/2).
    const double sh = std::sin(0.5 * t), ch = std::cos(0.5 * t);
    const double xt = a + 2.0 * h * sh * sh;
    if (a == 0.0) return h * h * 4.0 * ch * ch / (2.0 * h) / (2.0 * kPi * sigma2_ * gamma_);
    const double s = 2.0 * sh * ch;
    return h * h * s * s / (2.0 * kPi * sigma2_ * gamma_ * xt);
  };
  const double tx = std::acos(std::clamp(1.0 - (x - a) / h, -1.0, 1.0));
  double err = 0.0;
  const double v = boost::math::quadrature::gauss_kronrod<double, 31>::integrate(integrand, 0.0, tx, 15, 1e-15, &err);
  return std::min(1.0, atom + v);
}

double MarchenkoPastur::quantile(double p) const {
  check_bounded("MarchenkoPastur::quantile", "p", p, 0.0, 1.0);
  const double atom = atom_at_zero();
  if (p <= atom) return 0.0;
  if (p == 1.0) return upper_edge();
  const double a = lower_edge(), b = upper_edge();
  std::uintmax_t max_iter = 200;
  auto f = [&](double x) { return cdf(x) - p; };
  auto r = boost::math::tools::toms748_solve(f, a, b, atom - p, 1.0 - p,
                                             boost::math::tools::eps_tolerance<double>(50), max_iter);
  return 0.5 * (r.first + r.second);
}

double MarchenkoPastur::moment(int k) const {
  check_nonnegative("MarchenkoPastur::moment", "k", k);
  if (k == 0) return 1.0;
  // Narayana: sum_{r=0}^{k-1} gamma^r/(r+1) C(k,r) C(k-1,r)
  double sum = 0.0;
  double ckr = 1.0, ck1r = 1.0;  // C(k, r), C(k-1, r)
  double gr = 1.0;
  for (int r = 0; r <= k - 1; ++r) {
    sum += gr * ckr * ck1r / (r + 1.0);
    ckr = ckr * (k - r) / (r + 1.0);
    ck1r = ck1r * (k - 1 - r) / (r + 1.0);
    gr *= gamma_;
  }
  return sum * std::pow(sigma2_, k);
}

std::complex<double> MarchenkoPastur::stieltjes(std::complex<double> z) const {
  z = branch::upper_zero(z);
  const std::complex<double> root = std::sqrt(z - upper_edge()) * std::sqrt(z - lower_edge());
  const std::complex<double> b = z - sigma2_ * (1.0 - gamma_);
  // Two algebraically equal forms of the same root: (-b + R)/(2 a) = -2/(b + R), a = gamma s2 z.
  const std::complex<double> num = -b + root, den = b + root;
  if (std::abs(den) >= std::abs(num)) return -2.0 / den;
  return num / (2.0 * gamma_ * sigma2_ * z);
}

double MarchenkoPastur::stieltjes_real(double x) const {
  check_finite("MarchenkoPastur::stieltjes_real", "x", x);
  const bool inside = x > lower_edge() && x < upper_edge();
  if (inside || (x == 0.0 && gamma_ > 1.0))
    ::batchrmt::detail::fail_check("MarchenkoPastur::stieltjes_real", "x", ::batchrmt::detail::format_value(x),
                       "must lie outside the support of the law");
  return stieltjes({x, 0.0}).real();
}

double MarchenkoPastur::stieltjes_real_derivative(double x) const {
  // Differentiate gamma s2 x m^2 + (x - s2(1 - gamma)) m + 1 = 0:
  // m' = -(gamma s2 m^2 + m) / (2 gamma s2 x m + x - s2 (1 - gamma)).
  const double m = stieltjes_real(x);
  return -(gamma_ * sigma2_ * m * m + m) / (2.0 * gamma_ * sigma2_ * x * m + x - sigma2_ * (1.0 - gamma_));
}

double MarchenkoPastur::r_transform(double w) const { return sigma2_ / (1.0 - gamma_ * sigma2_ * w); }
double MarchenkoPastur::s_transform(double w) const { return 1.0 / (sigma2_ * (1.0 + gamma_ * w)); }

double MarchenkoPastur::edge_constant() const {
  const double sg = std::sqrt(gamma_);
  return std::pow(gamma_, -0.75) / ((1.0 + sg) * (1.0 + sg)) * std::pow(sigma2_, -1.5);
}

}  // namespace batchrmt::theory
