#include "simulate/dense_spectrum.hpp"

#ifdef BATCHRMT_WITH_LAPACK
#include <lapacke.h>
#else
#include <Eigen/Eigenvalues>
#endif

#include "core/checks.hpp"

namespace batchrmt::simulate {

Eigen::VectorXd symmetric_eigenvalues(const Eigen::MatrixXd& a) {
  Eigen::MatrixXd work = a;
  return symmetric_eigenvalues_in_place(work);
}

Eigen::VectorXd symmetric_eigenvalues_in_place(Eigen::MatrixXd& a) {
  check_size_match("symmetric_eigenvalues", "rows", static_cast<std::size_t>(a.rows()), "cols",
                   static_cast<std::size_t>(a.cols()));
#ifndef BATCHRMT_WITH_LAPACK
  // Without LAPACK: Eigen's Householder tridiagonalisation + implicit QR (slower than dsyevd).
  if (a.rows() == 0) return Eigen::VectorXd();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(a, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success)
    throw NumericalFailure("symmetric_eigenvalues: Eigen's eigensolver did not converge on a " + std::to_string(a.rows()) +
                           " x " + std::to_string(a.rows()) + " matrix (non-finite entries?).");
  return es.eigenvalues();
#else
  const auto n = static_cast<lapack_int>(a.rows());
  Eigen::VectorXd w(n);
  if (n == 0) return w;
  // Column-major storage: the 'L' triangle of the Eigen matrix.
  const lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'L', n, a.data(), n, w.data());
  if (info != 0)
    throw NumericalFailure("symmetric_eigenvalues: LAPACK dsyevd failed with info = " + std::to_string(info) +
                           " on a " + std::to_string(n) + " x " + std::to_string(n) +
                           " matrix (non-finite entries or no convergence).");
  return w;
#endif
}

}  // namespace batchrmt::simulate
