// Marchenko–Pastur law: limiting spectrum of a white sample covariance
// (1/m) X X^T, X of size n x m with i.i.d. N(0, sigma^2) entries, ratio gamma = n/m.
//
// docs/theory.md §2.1 (normalisation) and §2.2 [STD]; Marchenko & Pastur (1967), Math. USSR-Sb. 1:457.
// Edges lambda_± = sigma^2 (1 ± sqrt(gamma))^2; for gamma > 1 an atom (1 - 1/gamma) at 0.
#pragma once

#include <complex>

namespace batchrmt::theory {

class MarchenkoPastur {
 public:
  MarchenkoPastur(double gamma, double sigma2 = 1.0);

  double gamma() const { return gamma_; }
  double sigma2() const { return sigma2_; }
  double lower_edge() const;  // lambda_- (edge of the continuous part)
  double upper_edge() const;  // lambda_+
  double atom_at_zero() const;  // (1 - 1/gamma)_+

  // §2.2: rho(x) = sqrt((lambda_+ - x)(x - lambda_-)) / (2 pi sigma^2 gamma x) on the support
  // (continuous part only; the atom is reported by atom_at_zero()).
  double density(double x) const;
  // CDF including the atom at 0: Gauss–Kronrod quadrature (Boost) in the variable
  // x = a + (b - a)(1 - cos t)/2, which removes both square-root endpoint singularities.
  double cdf(double x) const;
  // Inverse CDF (Boost toms748); p in [0, 1]. Returns 0 for p below the atom mass.
  double quantile(double p) const;
  // Moments (Narayana polynomials): ∫ x^k d mu = sigma^{2k} sum_{r=0}^{k-1} gamma^r/(r+1) C(k,r) C(k-1,r).
  double moment(int k) const;

  // §2.2: m(z) = (sigma^2 (1 - gamma) - z + sqrt(z - lambda_+) sqrt(z - lambda_-)) / (2 gamma sigma^2 z),
  // root of gamma sigma^2 z m^2 + (z - sigma^2 (1 - gamma)) m + 1 = 0, principal roots multiplied
  // (§2.1 Branches). Real z inside the support gives m(x + i0).
  std::complex<double> stieltjes(std::complex<double> z) const;
  // Real x outside [lambda_-, lambda_+] (x != 0 when gamma > 1): m(x) and m'(x).
  double stieltjes_real(double x) const;
  double stieltjes_real_derivative(double x) const;

  // R-transform R(w) = sigma^2 / (1 - gamma sigma^2 w); S-transform S(w) = 1/(sigma^2 (1 + gamma w)).
  // (Free-probability transforms of the law; Voiculescu's conventions, G(R(w) + 1/w) = w.)
  double r_transform(double w) const;
  double s_transform(double w) const;

  // §2.2: rho(x) ≈ (c/pi) sqrt(lambda_+ - x) near the upper edge,
  // c = gamma^{-3/4} (1 + sqrt gamma)^{-2} for sigma = 1; general sigma: c sigma^{-3}.
  double edge_constant() const;

 private:
  double gamma_, sigma2_;
};

}  // namespace batchrmt::theory
