// The gradient noise behind B_simple and Adam's second moment (networks/gradient_noise.hpp) on a
// small synthetic set with the linear model, float64.
#include <gtest/gtest.h>

#include <cmath>

#include "networks/gradient_noise.hpp"
#include "networks/torch_runtime.hpp"
#include "tests/networks/synthetic_support.hpp"

namespace nw = batchrmt::networks;

namespace {

struct Population {
  nw::DataSplits data = batchrmt::testing::synthetic_splits(256, 64, {1, 6, 6}, 4, 5);
  nw::Model model = nw::Model::create(batchrmt::testing::linear_spec(data, 2), "cpu");
  nw::CurvatureOperator full() const {
    std::vector<std::size_t> all(data.train.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    nw::CurvatureOptions o;
    o.dtype = nw::ComputeDtype::float64;
    return nw::CurvatureOperator(model, data.train, data.test_transform, all, o);
  }
};

}  // namespace

TEST(GradientNoise, OverTheWholePopulationTheSampleIsThePopulation) {
  nw::set_torch_threads(1);
  const Population p;
  const auto op = p.full();
  const auto n = nw::measure_gradient_noise(op, 256, 7);
  ASSERT_EQ(n.samples, 256u);
  // Every item once: the mean of the single-item gradients is the full-data gradient (computed by
  // the operator in chunks), so the deviations sum to zero and tr(Sigma) = mean |g_i|^2 - |G|^2.
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(op.rows());
  double mean_norm2 = 0;
  for (std::size_t i = 0; i < 256; ++i) {
    const Eigen::VectorXd g = op.with_indices({i}).gradient();
    sum += g;
    mean_norm2 += g.squaredNorm() / 256.0;
  }
  EXPECT_LE((sum / 256.0 - n.mean_gradient).norm(), 1e-12 * n.mean_gradient.norm());
  EXPECT_NEAR(n.trace, mean_norm2 - n.gradient_norm2, 1e-10 * n.trace);
  EXPECT_NEAR(n.variance.sum(), n.trace, 1e-10 * n.trace);
  EXPECT_NEAR(n.b_simple, n.trace / n.gradient_norm2, 1e-15 * n.b_simple);
  EXPECT_GT(n.trace_se, 0.0);
  EXPECT_EQ(n.deviation_norm2.size(), 256u);
}

TEST(GradientNoise, ASubsampleEstimatesThePopulationTraceWithinItsStandardError) {
  nw::set_torch_threads(1);
  const Population p;
  const auto op = p.full();
  const double population = nw::measure_gradient_noise(op, 256, 7).trace;
  // 64 of 256 items, drawn without replacement: the estimate is unbiased and its se (which
  // ignores the finite-population factor sqrt(1 - 64/256), so it is conservative) bounds the
  // error; 4 se for a fixed seed.
  const auto n = nw::measure_gradient_noise(op, 64, 11);
  EXPECT_EQ(n.samples, 64u);
  EXPECT_LE(std::abs(n.trace - population), 4.0 * n.trace_se);
  // Adam's isotropic preconditioner d(kappa) = 1/(sqrt(mean_j (G_j^2 + kappa s_j^2)) + eps) decreases
  // with the batch noise kappa, is 1/(rms G + eps) at kappa = 0, and 1/eps for a huge eps.
  EXPECT_GT(nw::isotropic_adam_preconditioner(n, 0.01, 1e-8), nw::isotropic_adam_preconditioner(n, 1.0, 1e-8));
  EXPECT_NEAR(nw::isotropic_adam_preconditioner(n, 0.0, 1e6), 1e-6, 1e-12);
  const double rms_g = n.mean_gradient.norm() / std::sqrt(static_cast<double>(n.mean_gradient.size()));
  EXPECT_NEAR(nw::isotropic_adam_preconditioner(n, 0.0, 1e-8), 1.0 / (rms_g + 1e-8), 1e-12 / rms_g);
}
