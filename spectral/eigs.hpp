// Top-k / bottom-k eigenpairs of a symmetric operator, two ways:
//   * Spectra's SymEigsSolver (implicitly restarted Lanczos, Sorensen 1992 / ARPACK; Spectra 1.0)
//     through SpectraOperator, memory P * ncv;
//   * our Lanczos (lanczos.hpp) with full reorthogonalisation and residual-based stopping, no
//     restarts, memory P * steps.
// Both return EigsResult with their own convergence evidence: the residual bound each method
// uses, plus (by default) the true residual ||A y - theta y|| of every returned vector, computed
// with one extra application per vector (counted). Non-convergence is a status, not an
// exception: the converged part (Spectra) or the best current Ritz pairs (Lanczos) are kept.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <vector>

#include "spectral/lanczos.hpp"
#include "spectral/operators.hpp"

namespace batchrmt::spectral {

enum class Which { Largest, Smallest };  // algebraic
enum class EigsMethod { Spectra, Lanczos };
enum class EigsStatus { Converged, NotConverged };

const char* to_string(Which w);
const char* to_string(EigsMethod m);
const char* to_string(EigsStatus s);

struct EigsOptions {
  std::size_t nev = 1;
  Which which = Which::Largest;
  // Converged when the residual of theta_i is <= tol * max(|theta_i|, eps^(2/3) scale): Spectra's
  // criterion (its scale is 1; ours is ||T||).
  double tol = 1e-10;
  // Spectra: Krylov dimension ncv (0: max(2 nev + 1, 20), capped at n) and restarts.
  std::size_t ncv = 0;
  std::size_t max_restarts = 1000;
  // Lanczos: maximum Krylov dimension (capped at n) and the interval between convergence checks.
  std::size_t max_steps = 300;
  std::size_t check_interval = 1;
  StartVector start = StartVector::Rademacher;
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
  bool vectors = true;
  bool true_residuals = true;  // one extra application per returned vector (needs vectors)
};

struct EigsResult {
  EigsMethod method = EigsMethod::Spectra;
  EigsStatus status = EigsStatus::NotConverged;
  Which which = Which::Largest;
  std::vector<double> values;        // wanted end first: descending for Largest, ascending for Smallest
  Eigen::MatrixXd vectors;           // n x values.size() (empty unless requested)
  std::vector<double> residual_bounds;  // Lanczos: beta_m |s_mi|; Spectra: empty (not exposed by Spectra)
  std::vector<double> residuals;        // ||A y - theta y|| (when true_residuals)
  std::size_t requested = 0;
  std::size_t converged = 0;
  std::size_t iterations = 0;        // Spectra: restarts; Lanczos: steps
  std::int64_t applications = 0;
  double tol = 0.0;
  double wall_seconds = 0.0;
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
  StartVector start = StartVector::Rademacher;
};

EigsResult eigs_spectra_ref(OperatorRef op, const EigsOptions& options);
EigsResult eigs_lanczos_ref(OperatorRef op, const EigsOptions& options);

template <class Op>
EigsResult eigs_spectra(const Op& op, const EigsOptions& options = {}) {
  static_assert(is_operator_v<Op>, "eigs_spectra: Op must model the operator concept");
  return eigs_spectra_ref(OperatorRef(op), options);
}
template <class Op>
EigsResult eigs_lanczos(const Op& op, const EigsOptions& options = {}) {
  static_assert(is_operator_v<Op>, "eigs_lanczos: Op must model the operator concept");
  return eigs_lanczos_ref(OperatorRef(op), options);
}
template <class Op>
EigsResult eigs(const Op& op, const EigsOptions& options = {}, EigsMethod method = EigsMethod::Spectra) {
  return method == EigsMethod::Spectra ? eigs_spectra(op, options) : eigs_lanczos(op, options);
}

}  // namespace batchrmt::spectral
