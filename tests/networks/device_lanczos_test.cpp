// Lanczos with the basis on the operator's device (networks/device_lanczos.hpp): on the CPU the
// device driver runs the same algorithm as spectral::Lanczos on torch tensors, so it must
// reproduce the host run to rounding: same start vector, same alpha/beta, Ritz values, status,
// restarts and Ritz vectors. Float64 model and operator.
//
// Tolerances: both runs do CGS2 in float64 with different GEMV kernels (LibTorch's mv, OpenBLAS's
// dgemv), which sum in different orders. A difference in q_j propagates to later vectors
// amplified by up to ||H|| / beta_j per step, so there is no a-priori O(eps) bound; these runs
// keep beta_j >= 0.09 ||H|| and the largest difference measured when the test was written was
// 1.7e-15 relative (alpha, beta, Ritz values; fp32 basis 8.5e-9; after the near-breakdown
// below, where beta_j falls to 1e-8 ||H||, 1.5e-8). kRelative = 1e-9 (fp64) and kFp32 = 1e-5
// leave >= 1e3 headroom for another BLAS and still fail on an algorithmic slip (a lost pass,
// three-term term or mis-ordered Ritz vector moves values by 1e-3 or more).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <numeric>

#include "core/errors.hpp"
#include "networks/curvature.hpp"
#include "networks/device_lanczos.hpp"
#include "spectral/lanczos.hpp"

namespace nw = batchrmt::networks;
namespace sp = batchrmt::spectral;

namespace {

constexpr double kRelative = 1e-9;
constexpr double kFp32 = 1e-5;

nw::CurvatureOperator curvature(const std::string& name, std::vector<std::int64_t> widths, const std::string& init) {
  nw::TeacherStudentOptions d;
  d.train_size = 64;
  d.test_size = 8;
  d.shape = {1, 4, 4};
  d.classes = 3;
  d.seed = 11;
  const auto data = nw::make_teacher_student(d, "train");
  nw::ModelSpec s;
  s.name = name;
  s.input_shape = d.shape;
  s.classes = 3;
  s.seed = 5;
  s.widths = std::move(widths);
  s.init = init;
  std::vector<std::size_t> idx(data.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  nw::CurvatureOptions o;
  o.dtype = nw::ComputeDtype::float64;
  o.chunk_size = 24;  // three chunks: the device product sums them like apply() does
  return nw::CurvatureOperator(nw::Model::create(s.resolved(), "cpu"), data, nw::Transform{}, idx, o);
}

sp::LanczosOptions options(std::size_t steps) {
  sp::LanczosOptions o;
  o.steps = steps;
  o.seed = 21;
  o.stream = 3;
  o.vectors_top = 2;
  o.vectors_bottom = 1;
  return o;
}

double scale(const sp::LanczosResult& r) {
  return std::max(std::fabs(r.ritz_values.front()), std::fabs(r.ritz_values.back()));
}

// `noise_beta`: index of an exhausted step whose beta is rounding noise in both runs (compared
// only as below the breakdown threshold `noise_level` x ||H||).
void expect_same_run(const sp::LanczosResult& host, const sp::LanczosResult& dev, double tol,
                     std::size_t noise_beta = std::size_t(-1), double noise_level = 0.0) {
  ASSERT_EQ(host.steps, dev.steps);
  EXPECT_EQ(host.status, dev.status);
  EXPECT_EQ(host.restarts, dev.restarts);
  EXPECT_EQ(host.applications, dev.applications);
  const double h = scale(host);
  for (std::size_t i = 0; i < host.steps; ++i) {
    EXPECT_NEAR(host.alpha[i], dev.alpha[i], tol * h) << "alpha " << i;
    if (i == noise_beta) {
      EXPECT_LE(std::fabs(host.beta[i]), noise_level * h);
      EXPECT_LE(std::fabs(dev.beta[i]), noise_level * h);
    } else {
      EXPECT_NEAR(host.beta[i], dev.beta[i], tol * h) << "beta " << i;
    }
    EXPECT_NEAR(host.ritz_values[i], dev.ritz_values[i], tol * h) << "Ritz value " << i;
  }
  ASSERT_EQ(host.ritz_vector_indices, dev.ritz_vector_indices);
  ASSERT_EQ(host.ritz_vectors.rows(), dev.ritz_vectors.rows());
  ASSERT_EQ(host.ritz_vectors.cols(), dev.ritz_vectors.cols());
  for (Eigen::Index c = 0; c < host.ritz_vectors.cols(); ++c) {
    // Compare the vectors of the extreme (separated) Ritz values as they are: same sign too,
    // since both come from the same start vector and the same tridiagonal eigenvectors.
    const double diff = (host.ritz_vectors.col(c) - dev.ritz_vectors.col(c)).norm();
    EXPECT_LT(diff, 1e3 * tol) << "Ritz vector " << c;
  }
}

}  // namespace

TEST(DeviceLanczos, Fp64BasisReproducesTheHostRun) {
  const auto op = curvature("mlp", {8}, "default");
  const auto o = options(40);
  const auto host = sp::lanczos(op, o);
  const auto dev = nw::curvature_lanczos(op, o, nw::LanczosBasisPlacement::device);
  expect_same_run(host, dev, kRelative);
  EXPECT_GT(host.ritz_values.back(), 0.0);
  // A given start vector (any norm) is used as spectral::Lanczos uses it.
  auto given = o;
  given.start = sp::StartVector::Given;
  const Eigen::VectorXd start = Eigen::VectorXd::LinSpaced(op.rows(), 1.0, 3.0);
  expect_same_run(sp::lanczos(op, given, start.data()),
                  nw::curvature_lanczos(op, given, nw::LanczosBasisPlacement::device, start.data()), kRelative);
}

TEST(DeviceLanczos, Fp32BasisReproducesTheHostFp32Run) {
  const auto op = curvature("mlp", {8}, "default");
  auto o = options(30);
  o.storage = sp::BasisStorage::Fp32;
  const auto host = sp::lanczos(op, o);
  const auto dev = nw::curvature_lanczos(op, o, nw::LanczosBasisPlacement::device);
  expect_same_run(host, dev, kFp32);
}

// P = 332,035 > 2^18: the Ritz vectors are formed in several row blocks of the basis.
TEST(DeviceLanczos, RitzVectorsOfALargeOperatorSpanSeveralBlocks) {
  const auto op = curvature("mlp", {4096, 64}, "default");
  ASSERT_GT(op.rows(), 1 << 18);
  for (const auto storage : {sp::BasisStorage::Fp64, sp::BasisStorage::Fp32}) {
    auto o = options(12);
    o.storage = storage;
    expect_same_run(sp::lanczos(op, o), nw::curvature_lanczos(op, o, nw::LanczosBasisPlacement::device),
                    storage == sp::BasisStorage::Fp64 ? kRelative : kFp32);
  }
}

TEST(DeviceLanczos, ResidualStoppingStopsAtTheSameStep) {
  const auto op = curvature("mlp", {8}, "default");
  auto o = options(120);
  o.converge_top = 1;
  o.tol = 1e-8;
  const auto host = sp::lanczos(op, o);
  ASSERT_EQ(host.status, sp::LanczosStatus::Converged);
  ASSERT_LT(host.steps, 120u);
  const auto dev = nw::curvature_lanczos(op, o, nw::LanczosBasisPlacement::device);
  expect_same_run(host, dev, kRelative);
}

// The linear model at w = 0 has a Hessian A (x) B with A = (1/C)(I - 11^T/C): few distinct
// eigenvalues, so the Krylov space is exhausted long before P = 51 steps (breakdown). The
// exhausted step's beta is rounding noise (~4e-8 ||H|| here: the small eigenvalues deflate
// gradually, so the betas before it are small too); the breakdown is declared at 1e-6 ||H||,
// well above that noise, so both runs stop (or restart) at the same step. Those small betas
// amplify the GEMV rounding differences by up to ||H|| / beta_j ~ 1e6 in the vectors after
// them, hence the looser kNearBreakdown for this run; the restart vector itself comes from the
// shared RandomStream.
TEST(DeviceLanczos, BreakdownAndRestartLikeTheHostRun) {
  constexpr double kNearBreakdown = 1e-6;
  const auto op = curvature("linear", {}, "zeros");
  auto o = options(40);
  o.vectors_top = 0;
  o.vectors_bottom = 0;
  o.breakdown_tol = 1e-6;
  const auto host_stop = sp::lanczos(op, o);
  ASSERT_EQ(host_stop.status, sp::LanczosStatus::Breakdown);
  ASSERT_LT(host_stop.steps, 40u);
  const std::size_t last = host_stop.steps - 1;
  expect_same_run(host_stop, nw::curvature_lanczos(op, o, nw::LanczosBasisPlacement::device), kRelative, last,
                  o.breakdown_tol);
  o.restart_on_breakdown = true;
  const auto host = sp::lanczos(op, o);
  ASSERT_GE(host.restarts, 1u);
  ASSERT_EQ(host.beta[last], 0.0);  // T_{j+1, j} = 0 at the restart
  expect_same_run(host, nw::curvature_lanczos(op, o, nw::LanczosBasisPlacement::device), kNearBreakdown);
}

TEST(DeviceLanczos, PlacementRules) {
  const auto op = curvature("mlp", {8}, "default");
  auto o = options(10);
  // On the CPU, auto keeps the host driver (its BLAS GEMVs are the faster CPU path).
  EXPECT_EQ(nw::resolve_lanczos_basis(op, o, nw::LanczosBasisPlacement::automatic), nw::LanczosBasisPlacement::host);
  EXPECT_EQ(nw::resolve_lanczos_basis(op, o, nw::LanczosBasisPlacement::device), nw::LanczosBasisPlacement::device);
  auto used = nw::LanczosBasisPlacement::automatic;
  (void)nw::curvature_lanczos(op, o, nw::LanczosBasisPlacement::device, nullptr, &used);
  EXPECT_EQ(used, nw::LanczosBasisPlacement::device);
  (void)nw::curvature_lanczos(op, o, nw::LanczosBasisPlacement::automatic, nullptr, &used);
  EXPECT_EQ(used, nw::LanczosBasisPlacement::host);
  o.reorth = sp::Reorthogonalization::Selective;
  EXPECT_EQ(nw::resolve_lanczos_basis(op, o, nw::LanczosBasisPlacement::automatic), nw::LanczosBasisPlacement::host);
  EXPECT_THROW(nw::curvature_lanczos(op, o, nw::LanczosBasisPlacement::device), batchrmt::InvalidInput);
  EXPECT_EQ(nw::parse_lanczos_basis("device"), nw::LanczosBasisPlacement::device);
  EXPECT_THROW(nw::parse_lanczos_basis("gpu"), batchrmt::InvalidInput);
}

TEST(DeviceLanczos, ApplyOnDeviceEqualsApplyAndChecksTheLength) {
  const auto op = curvature("mlp", {8}, "default");
  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(op.rows(), -1.0, 1.0);
  const Eigen::VectorXd y = op.apply(x);
  const torch::Tensor xt = torch::from_blob(const_cast<double*>(x.data()), {x.size()}, torch::kDouble);
  const torch::Tensor yt = op.apply_on_device(xt.to(torch::kFloat));  // any floating dtype in
  ASSERT_EQ(yt.scalar_type(), torch::kDouble);
  ASSERT_EQ(yt.numel(), y.size());
  const Eigen::Map<const Eigen::VectorXd> ym(yt.data_ptr<double>(), y.size());
  // x rounded to float32 (relative 6e-8) then used in float64: the products agree to ~1e-7.
  EXPECT_LT((ym - y).norm(), 1e-6 * y.norm());
  EXPECT_EQ(op.applications(), 2);
  EXPECT_THROW(op.apply_on_device(torch::zeros({op.rows() + 1}, torch::kDouble)), batchrmt::InvalidInput);
}
