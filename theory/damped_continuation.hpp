// The damped fixed-point iteration with continuation in Im z that solves the vector equations
// of the QVE (docs/theory.md §2.5(b): Helton, Rashidi Far & Speicher 2007) and of the Gram
// variance profile (§2.6 Profiles: Hachem, Loubaton & Najim 2007), with an optional Newton
// polish in their dense modes. One loop for both solvers.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <complex>
#include <optional>

namespace batchrmt::theory {

struct DampedContinuation {
  double eta_start = 1.0;       // the first Im z' of the continuation (when above Im z)
  int max_iterations = 200000;  // fixed-point iterations at Im z itself (2000 at each eta above it)
  double tol = 1e-14;           // the relative sup-norm step that ends an eta
  bool polish = false;          // try the Newton polish after 30 iterations and every 200 after
};

// Solves x = phi(z, x) with Im x > 0 by x <- (x + phi(z', x)) / 2 at z' = Re z + i eta, eta halving
// from max(Im z, eta_start) down to Im z, each eta starting from the last one's solution. With
// `polish`, newton(z', x) (a std::optional<Eigen::VectorXcd>) is tried on schedule; a result whose
// imaginary parts are all positive ends the eta. Counts the fixed-point iterations into
// `iterations`; true when the iteration converged at Im z.
template <class Phi, class Newton>
bool damped_continuation(std::complex<double> z, const DampedContinuation& o, Eigen::VectorXcd& x, const Phi& phi,
                         const Newton& newton, int& iterations) {
  using CV = Eigen::VectorXcd;
  const double eta_target = z.imag();
  double eta = std::max(eta_target, o.eta_start);
  while (true) {
    const std::complex<double> zz(z.real(), eta);
    const bool last = eta <= eta_target;
    const int cap = last ? o.max_iterations : 2000;
    bool done = false;
    for (int local = 0; local < cap; ++local) {
      const CV next = 0.5 * (x + phi(zz, x));
      ++iterations;
      const double step = (next - x).cwiseAbs().maxCoeff() / next.cwiseAbs().maxCoeff();
      x = next;
      if (step < o.tol) {
        done = true;
        break;
      }
      if (o.polish && local >= 29 && (local - 29) % 200 == 0) {
        const std::optional<CV> polished = newton(zz, x);
        if (polished && (polished->imag().array() > 0.0).all()) {
          x = *polished;
          done = true;
          break;
        }
        // the polish failed (near an edge or far from the solution): continue damping
      }
    }
    if (last) return done;
    eta = std::max(eta_target, 0.5 * eta);
  }
}

}  // namespace batchrmt::theory
