// Eigenvalues of the dense symmetric matrices the simulators make.
#pragma once

#include <Eigen/Dense>

namespace batchrmt::simulate {

// All eigenvalues, ascending, by LAPACK dsyevd (divide and conquer; ~4/3 n^3 flops for
// values only, 8 n^2 bytes plus workspace) through LAPACKE/OpenBLAS. `a` is copied (the
// lower triangle is read). NumericalFailure if LAPACK reports non-convergence.
Eigen::VectorXd symmetric_eigenvalues(const Eigen::MatrixXd& a);

// Same, consuming `a` as workspace (no copy).
Eigen::VectorXd symmetric_eigenvalues_in_place(Eigen::MatrixXd& a);

}  // namespace batchrmt::simulate
