// Operator concept and adapters (spectral/operators.hpp).
#include <gtest/gtest.h>

#include <Eigen/SparseCore>

#include "core/errors.hpp"
#include "core/rng.hpp"
#include "spectral/operators.hpp"
#include "tests/spectral/test_matrices.hpp"

namespace bs = batchrmt::spectral;

namespace {
Eigen::VectorXd random_vector(Eigen::Index n, std::uint64_t stream) {
  batchrmt::RandomStream rng(99, stream);
  Eigen::VectorXd x(n);
  rng.fill_normal(x.data(), static_cast<std::size_t>(n));
  return x;
}
}  // namespace

static_assert(bs::is_operator_v<bs::DenseOperator>);
static_assert(bs::is_operator_v<bs::SparseOperator<>>);
static_assert(bs::is_operator_v<bs::CallbackOperator>);
static_assert(bs::is_operator_v<bs::OperatorRef>);
static_assert(bs::is_operator_v<bs::AnyOperator>);
static_assert(bs::is_operator_v<bs::SumOperator<bs::DenseOperator, bs::OperatorRef>>);
static_assert(bs::is_operator_v<bs::CountingOperator<bs::DenseOperator>>);
static_assert(!bs::is_operator_v<Eigen::MatrixXd>);

TEST(Operators, DenseSparseCallbackAgree) {
  const Eigen::MatrixXd a = bs::testing::goe(50, 1);
  Eigen::MatrixXd banded = a;
  for (Eigen::Index i = 0; i < 50; ++i)
    for (Eigen::Index j = 0; j < 50; ++j)
      if (std::abs(i - j) > 3) banded(i, j) = 0.0;
  const Eigen::SparseMatrix<double> sp = banded.sparseView();
  const Eigen::VectorXd x = random_vector(50, 0);

  const bs::DenseOperator dense(banded);
  const bs::SparseOperator<> sparse(sp);
  const bs::CallbackOperator cb(50, [&](const double* in, double* out) {
    Eigen::Map<Eigen::VectorXd>(out, 50) = banded * Eigen::Map<const Eigen::VectorXd>(in, 50);
  });
  const Eigen::VectorXd ref = banded * x;
  EXPECT_LE((bs::apply(dense, x) - ref).norm(), 1e-13);
  EXPECT_LE((bs::apply(sparse, x) - ref).norm(), 1e-13);
  EXPECT_LE((bs::apply(cb, x) - ref).norm(), 1e-13);
  EXPECT_LE((bs::apply(bs::OperatorRef(sparse), x) - ref).norm(), 1e-13);
  EXPECT_LE((bs::apply(bs::AnyOperator(sparse), x) - ref).norm(), 1e-13);
  EXPECT_EQ(dense.rows(), 50);
}

TEST(Operators, SumDifferenceShiftScaleCounting) {
  const Eigen::MatrixXd a = bs::testing::goe(40, 2);
  const Eigen::MatrixXd b = bs::testing::goe(40, 3);
  const Eigen::VectorXd x = random_vector(40, 1);
  const bs::DenseOperator da(a), db(b);
  EXPECT_LE((bs::apply(bs::make_sum(da, db), x) - (a + b) * x).norm(), 1e-13);
  EXPECT_LE((bs::apply(bs::make_difference(da, db), x) - (a - b) * x).norm(), 1e-13);
  EXPECT_LE((bs::apply(bs::SumOperator(da, db, 2.0, -0.5), x) - (2.0 * a - 0.5 * b) * x).norm(), 1e-13);
  EXPECT_LE((bs::apply(bs::make_shift_scale(da, -3.0, 1.5), x) - (-3.0 * a * x + 1.5 * x)).norm(), 1e-13);

  const auto counted = bs::make_counting(bs::make_difference(da, db));
  for (int i = 0; i < 7; ++i) bs::apply(counted, x);
  EXPECT_EQ(counted.applications(), 7);
  EXPECT_GE(counted.seconds(), 0.0);
  counted.reset();
  EXPECT_EQ(counted.applications(), 0);

  // AnyOperator owns a copy of a composite and is itself composable.
  const bs::AnyOperator any = bs::make_sum(da, bs::make_shift_scale(db, 1.0, 2.0));
  EXPECT_LE((bs::apply(any, x) - (a * x + b * x + 2.0 * x)).norm(), 1e-13);
}

TEST(Operators, SpectraAdapterAndChecks) {
  const Eigen::MatrixXd a = bs::testing::goe(10, 4);
  const bs::DenseOperator da(a);
  const bs::SpectraOperator<bs::DenseOperator> sop(da);
  EXPECT_EQ(sop.rows(), 10);
  EXPECT_EQ(sop.cols(), 10);
  const Eigen::VectorXd x = random_vector(10, 2);
  Eigen::VectorXd y(10);
  sop.perform_op(x.data(), y.data());
  EXPECT_LE((y - a * x).norm(), 1e-14);
  Eigen::VectorXd wrong(9);
  EXPECT_THROW(bs::apply(da, wrong), batchrmt::InvalidInput);
  const Eigen::MatrixXd rect(3, 4);
  EXPECT_THROW(bs::DenseOperator{rect}, batchrmt::InvalidInput);
  const Eigen::MatrixXd c(20, 20);
  EXPECT_THROW(bs::make_sum(da, bs::DenseOperator(c)), batchrmt::InvalidInput);
}
