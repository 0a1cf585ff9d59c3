#include "simulate/dense_spectrum.hpp"

#include <lapacke.h>

#include "core/checks.hpp"

namespace batchrmt::simulate {

Eigen::VectorXd symmetric_eigenvalues(const Eigen::MatrixXd& a) {
  Eigen::MatrixXd work = a;
  return symmetric_eigenvalues_in_place(work);
}

Eigen::VectorXd symmetric_eigenvalues_in_place(Eigen::MatrixXd& a) {
  check_size_match("symmetric_eigenvalues", "rows", static_cast<std::size_t>(a.rows()), "cols",
                   static_cast<std::size_t>(a.cols()));
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
}

}  // namespace batchrmt::simulate
