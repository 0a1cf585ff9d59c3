// Data-parallel curvature over MPI ranks (core/mpi_context.hpp). Every rank holds the
// model and the dataset; a product over the index set S is split by chunks (rank r takes the
// chunks [rC/R, (r+1)C/R) of S, CurvatureOperator::apply_shard) and the ranks' partial products,
// each already weighted by |c|/|S|, are summed with MPI_Reduce (MPI_SUM, float64) on rank 0.
// Summation order differs from the single-process run, so results agree to float64 rounding,
// not bit for bit. Communication per product: P doubles broadcast (x) and P reduced (y).
//
// Two ways to use it:
//   lead_products(op, body)  rank 0 runs `body` (a Lanczos run, ...) with an operator whose
//                            products are spread over the ranks; the other ranks only serve
//                            products (each receives x, applies its shard, reduces) until
//                            `body` returns. Only rank 0 holds the Lanczos basis.
//   DataParallelOperator     collective: every rank calls apply with the same x and gets the
//                            same y (reduced on rank 0, then broadcast).
// Without MPI (or with one rank) both are the plain operator. Neither is for concurrent use.
#pragma once

#include <functional>

#include "networks/curvature.hpp"
#include "spectral/operators.hpp"

namespace batchrmt::networks {

class DataParallelOperator {
 public:
  explicit DataParallelOperator(CurvatureOperator op) : op_(std::move(op)) {}
  Eigen::Index rows() const { return op_.rows(); }
  void apply(const double* x, double* y) const;  // collective
  Eigen::VectorXd apply(const Eigen::VectorXd& x) const;
  const CurvatureOperator& local() const { return op_; }

 private:
  CurvatureOperator op_;
};

// Collective (every rank calls it with an operator over the same index set). On rank 0 calls
// body(A) where A.apply is H_S spread over the ranks; returns on every rank when body has
// returned on rank 0. If body throws on rank 0, the other ranks are released first and the
// exception propagates on rank 0 only.
void lead_products(const CurvatureOperator& op, const std::function<void(const spectral::AnyOperator&)>& body);

}  // namespace batchrmt::networks
