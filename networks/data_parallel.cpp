// Data-parallel curvature over MPI ranks (networks/data_parallel.hpp). No LibTorch, no <mpi.h>:
// the products are CurvatureOperator::apply_shard, the communication core/mpi_context.hpp.
#include "networks/data_parallel.hpp"

#include <vector>

#include "core/mpi_context.hpp"

namespace batchrmt::networks {

namespace {

constexpr std::int64_t kStop = 0, kApply = 1;

// rank 0's view of a product led over the ranks: announce, broadcast x, own shard, reduce.
class LedOperator {
 public:
  explicit LedOperator(const CurvatureOperator& op) : op_(op) {}
  Eigen::Index rows() const { return op_.rows(); }
  void apply(const double* x, double* y) const {
    const auto& mpi = MpiContext::instance();
    std::int64_t cmd = kApply;
    mpi.broadcast(cmd);
    const auto P = static_cast<std::size_t>(op_.rows());
    buffer_.assign(x, x + P);
    mpi.broadcast(buffer_.data(), P);
    op_.apply_shard(x, y, mpi.rank(), mpi.size());
    mpi.reduce_sum(y, y, P);
  }

 private:
  CurvatureOperator op_;
  mutable std::vector<double> buffer_;
};

}  // namespace

void DataParallelOperator::apply(const double* x, double* y) const {
  const auto& mpi = MpiContext::instance();
  const auto P = static_cast<std::size_t>(op_.rows());
  op_.apply_shard(x, y, mpi.rank(), mpi.size());
  mpi.reduce_sum(y, y, P);
  mpi.broadcast(y, P);
}

Eigen::VectorXd DataParallelOperator::apply(const Eigen::VectorXd& x) const {
  Eigen::VectorXd y(rows());
  apply(x.data(), y.data());
  return y;
}

void lead_products(const CurvatureOperator& op, const std::function<void(const spectral::AnyOperator&)>& body) {
  const auto& mpi = MpiContext::instance();
  if (!mpi.active()) {
    body(spectral::AnyOperator(op));
    return;
  }
  if (mpi.is_writer()) {
    auto release = [&mpi] {
      std::int64_t stop = kStop;
      mpi.broadcast(stop);
    };
    try {
      body(spectral::AnyOperator(LedOperator(op)));
    } catch (...) {
      release();
      throw;
    }
    release();
    return;
  }
  const auto P = static_cast<std::size_t>(op.rows());
  std::vector<double> x(P), y(P);
  for (;;) {
    std::int64_t cmd = kStop;
    mpi.broadcast(cmd);
    if (cmd == kStop) break;
    mpi.broadcast(x.data(), P);
    op.apply_shard(x.data(), y.data(), mpi.rank(), mpi.size());
    mpi.reduce_sum(y.data(), y.data(), P);
  }
}

}  // namespace batchrmt::networks
