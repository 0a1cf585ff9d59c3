// The general Benaych-Georges–Nadakuditi (BGN) route for finite-rank perturbations of a
// bulk law mu on [a, b] known through its Cauchy transform G(x) = ∫ dmu(t)/(x - t) = -m(x).
//
// docs/theory.md §2.3 (additive) and §2.6 (multiplicative) [STD]: Benaych-Georges & Nadakuditi
// (2011) Adv. Math. 227:494, arXiv:0910.2120; outlier variance: Benaych-Georges, Guionnet &
// Maida (2011) EJP 16:1621.
//   additive  X + theta u u^T:  outlier rho = G^{-1}(1/theta) iff theta > 1/G(b+),
//                               overlap -1/(theta^2 G'(rho)),
//                               Var lambda ≈ (2/(beta n)) (1 - overlap)/(-G'(rho));
//   multiplicative (I + Theta)^{1/2} X (I + Theta)^{1/2}, Theta = theta u u^T, with
//                               T(z) = z G(z) - 1: outlier T^{-1}(1/theta) iff theta > 1/T(b+),
//                               overlap -(theta + 1)/(theta^2 rho T'(rho)).
// Negative theta (additive) uses the lower edge a and G on (-inf, a). Roots by Boost toms748.
// The closed forms of theory/spiked_wigner.hpp and theory/spiked_covariance.hpp are special
// cases; the tests compare them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "theory/regime.hpp"

namespace batchrmt::theory {

// A bulk law through its real Cauchy transform outside the support.
class BulkLaw {
 public:
  virtual ~BulkLaw() = default;
  virtual double lower_edge() const = 0;
  virtual double upper_edge() const = 0;
  // G(x) and G'(x) for x outside (lower_edge, upper_edge); at an edge itself, the one-sided
  // limit (may be infinite).
  virtual double cauchy(double x) const = 0;
  virtual double cauchy_derivative(double x) const = 0;
  virtual std::string name() const = 0;
};

std::unique_ptr<BulkLaw> semicircle_law(double sigma);
std::unique_ptr<BulkLaw> marchenko_pastur_law(double gamma, double sigma2 = 1.0);
// Mean law of a variance profile (QVE, theory/qve.hpp): G(x) = -<m>(x); the solver must outlive
// the law. For a delocalised spike (block masses w_a = n_a/n) this reproduces QveSolver::outlier.
class QveSolver;
std::unique_ptr<BulkLaw> qve_law(const QveSolver& solver);
// Empirical spectral measure (1/n) sum_i delta_{t_i}, e.g. measured eigenvalues.
std::unique_ptr<BulkLaw> empirical_law(std::vector<double> eigenvalues);

struct BgnOutlier {
  double theta = 0.0;
  SpikeRegime regime = SpikeRegime::Subcritical;
  // 1/G(b+) (additive, theta >= 0), 1/G(a-) < 0 (additive, theta < 0), or 1/T(b+) (multiplicative);
  // 0 if the transform is infinite at the edge.
  double threshold = 0.0;
  std::optional<double> outlier;
  double extreme = 0.0;            // outlier, or the edge on the spike's side
  double overlap = 0.0;
  double variance_coefficient = 0.0;  // additive only: n Var lambda for beta (see above)
  int root_iterations = 0;
};

// Additive spike theta (either sign), beta in {1, 2}.
BgnOutlier bgn_additive(const BulkLaw& law, double theta, int beta = 1);
// Multiplicative spike theta > -1 on a law supported in [0, inf) (upper side only).
BgnOutlier bgn_multiplicative(const BulkLaw& law, double theta);

}  // namespace batchrmt::theory
