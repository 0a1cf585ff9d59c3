// Wigner semicircle law of variance sigma^2 (support [-2 sigma, 2 sigma]).
//
// docs/theory.md §2.2 [STD]; Wigner (1958), Ann. Math. 67:325. Conventions of docs/theory.md §0/§2.1:
// the Stieltjes transform is m(z) = ∫ rho(dx)/(x - z), so m(z) ~ -1/z and Im m > 0 for
// Im z > 0; the Cauchy transform is G(z) = -m(z).
#pragma once

#include <complex>

namespace batchrmt::theory {

class Semicircle {
 public:
  // sigma > 0 is the standard deviation parameter: semicircle radius 2 sigma.
  explicit Semicircle(double sigma);

  double sigma() const { return sigma_; }
  double lower_edge() const { return -2.0 * sigma_; }
  double upper_edge() const { return 2.0 * sigma_; }

  // §2.2: rho(x) = sqrt(4 sigma^2 - x^2) / (2 pi sigma^2) on [-2 sigma, 2 sigma], else 0.
  double density(double x) const;
  // §2.2: F(x) = 1/2 + x sqrt(r^2 - x^2)/(pi r^2) + arcsin(x/r)/pi, r = 2 sigma.
  double cdf(double x) const;
  // Inverse CDF by Boost toms748 on the bracket [-2 sigma, 2 sigma]; p in [0, 1].
  double quantile(double p) const;
  // §2.2: ∫ x^k d rho = sigma^k Cat_{k/2} for even k, 0 for odd k.
  double moment(int k) const;

  // §2.2: m(z) = (-z + sqrt(z - 2 sigma) sqrt(z + 2 sigma)) / (2 sigma^2), product of principal
  // roots (§2.1 Branches), analytic on C \ [-2 sigma, 2 sigma]. For real z inside the support
  // (imaginary part exactly 0, either sign of zero) it returns the boundary value m(x + i0).
  std::complex<double> stieltjes(std::complex<double> z) const;
  // Real x outside (-2 sigma, 2 sigma): m(x) (real), and its derivative m'(x).
  double stieltjes_real(double x) const;
  double stieltjes_real_derivative(double x) const;

  // R-transform (free cumulant generating function, G(R(w) + 1/w) = w): R(w) = sigma^2 w.
  double r_transform(double w) const { return sigma_ * sigma_ * w; }

  // §2.2/§2.4: rho(x) ≈ (c/pi) sqrt(2 sigma - x) near the edge, c = sigma^{-3/2}.
  double edge_constant() const;

 private:
  double sigma_;
};

}  // namespace batchrmt::theory
