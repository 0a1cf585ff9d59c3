// The learner's stability diagnosis (verify/learner_diagnosis.hpp, networks/learner.hpp step 4),
// C8's options from a config (warmstart honoured), and C8 end to end on a tiny synthetic config.
#include <gtest/gtest.h>

#include <cmath>

#include "core/config.hpp"
#include "verify/claims.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include "networks/curvature.hpp"
#include "networks/datasets.hpp"
#include "networks/learner.hpp"
#include "networks/models.hpp"
#include "networks/torch_runtime.hpp"
#include "verify/claim_c8_learner.hpp"
#include "verify/learner_diagnosis.hpp"
#include "tests/networks/synthetic_support.hpp"
#include "verify/learning_rate_claims.hpp"

using namespace batchrmt;
using namespace batchrmt::verify;
namespace nw = batchrmt::networks;

TEST(LearnerMargins, HandComputedFromTheHeavyBallAndTheFirstOrderShift) {
  nw::LearnerMarginInput in{4.0, 0.5, 0.25, 2.0, 10, 101};  // L, lr, momentum, V_phi, B, N
  const auto m = make_learner_margin_rule()(in);
  EXPECT_DOUBLE_EQ(m.kappa, 91.0 / 1000.0);                          // (N - B)/(B (N - 1))
  EXPECT_NEAR(m.lambda_mean_square, 4.0 + 0.091 * 2.0 / 4.0, 1e-15);  // L + kappa V / L
  EXPECT_NEAR(m.margin, 0.5 * 4.0 / 2.5, 1e-15);                     // lr L / (2 (1 + rho))
  EXPECT_NEAR(m.margin_mean_square, 0.5 * (4.0 + 0.0455) / 2.5, 1e-15);
  in.batch_size = 500;  // B >= N: one full batch, kappa 0, both margins equal
  const auto f = make_learner_margin_rule()(in);
  EXPECT_EQ(f.kappa, 0.0);
  EXPECT_DOUBLE_EQ(f.margin_mean_square, f.margin);
}

TEST(LearnerMargins, FirstCrossingFindsTheFirstUpdateAboveOne) {
  std::vector<nw::LearnerEpoch> h(4);
  const double nan = std::nan("");
  const double m[4] = {0.5, nan, 1.2, 1.5}, ms[4] = {0.9, nan, 0.95, 1.01};
  for (int k = 0; k < 4; ++k) {
    h[k].epoch = k + 1;
    h[k].updated = k != 1;
    h[k].margin = m[k];
    h[k].margin_mean_square = ms[k];
  }
  EXPECT_EQ(first_margin_crossing(h, false).epoch, 3);
  EXPECT_DOUBLE_EQ(first_margin_crossing(h, false).margin, 1.2);
  EXPECT_EQ(first_margin_crossing(h, true).epoch, 4);
  h.resize(2);
  EXPECT_EQ(first_margin_crossing(h, false).epoch, -1);
  EXPECT_TRUE(std::isnan(first_margin_crossing(h, false).margin));
}

namespace {

nw::DataSplits tiny_data() { return batchrmt::testing::synthetic_splits(256, 64, {1, 5, 5}, 3, 0); }

}  // namespace

TEST(LearnerMargins, EveryUpdateStoresItsMarginsAndVphiEqualsADirectPerSampleComputation) {
  nw::set_torch_threads(1);
  const auto d = tiny_data();
  const auto spec = batchrmt::testing::linear_spec(d, 0);
  auto m = nw::Model::create(spec, "cpu");
  nw::LearnerOptions lo;
  lo.epochs = 2;
  lo.batch_size = 32;
  lo.curvature_batch = 16;
  lo.keep_ritz_vectors = true;
  const auto res = nw::train_with_learner(m, d, lo, make_learner_rule("ssgdm", "minimum", "polyak"), make_learner_margin_rule());
  ASSERT_EQ(res.history.size(), 2u);
  EXPECT_EQ(res.noise_batchnorm, "eval");
  const double N = 256, B = 32;
  for (const auto& e : res.history) {
    ASSERT_TRUE(e.updated);
    EXPECT_DOUBLE_EQ(std::abs(e.ritz_top), e.L);
    EXPECT_GT(e.v_phi, 0.0);
    EXPECT_DOUBLE_EQ(e.kappa, (N - B) / (B * (N - 1)));
    EXPECT_NEAR(e.margin, e.lr * e.L / (2 * (1 + e.momentum)), 1e-15 * e.margin);
    EXPECT_NEAR(e.lambda_mean_square, e.L + e.kappa * e.v_phi / e.L, 1e-14 * e.L);
    EXPECT_NEAR(e.margin_mean_square, e.lr * e.lambda_mean_square / (2 * (1 + e.momentum)), 1e-15 * e.margin_mean_square);
    // Polyak's rates: margin = L / (L + mu) < 1 on the subset's own top.
    EXPECT_NEAR(e.margin, e.L / (e.L + e.mu), 1e-12);
    EXPECT_GT(e.margin_mean_square, e.margin);
  }
  // The first update saw the initial weights: rebuild them and compute V_phi by hand, one
  // operator per sample (h_i phi) against the subset's H phi.
  const auto& e = res.history.front();
  ASSERT_FALSE(e.phi.empty());
  const auto init = nw::Model::create(spec, "cpu");
  const nw::CurvatureOperator op(init, d.train, d.test_transform, res.curvature_indices);
  const Eigen::VectorXd phi = Eigen::Map<const Eigen::VectorXd>(e.phi.data(), static_cast<Eigen::Index>(e.phi.size()));
  ASSERT_NEAR(phi.norm(), 1.0, 1e-12);
  const Eigen::VectorXd hphi = op.apply(phi);
  EXPECT_NEAR(phi.dot(hphi), e.ritz_top, 1e-6 * e.L);  // phi is the Ritz vector of ritz_top
  double v = 0;
  for (std::size_t i : res.curvature_indices) v += (op.with_indices({i}).apply(phi) - hphi).squaredNorm();
  v /= static_cast<double>(res.curvature_indices.size());
  EXPECT_NEAR(e.v_phi, v, 1e-9 * v);
}

TEST(LearnerMargins, WarmstartFromTheConfigIsHonoured) {
  nw::set_torch_threads(1);
  const auto c = Config::parse(
      "[c8]\nepochs = 3\nbatch_size = 32\nwarmstart = 2\nlr_init = 0.02\nmomentum_init = 0.1\ncurvature_batch = 16\n"
      "curvature_steps = 10\ncurvature_batchnorm = \"eval\"\n",
      "test");
  const auto lo = learner_options_from_config(c, "c8");
  EXPECT_EQ(lo.warmstart, 2);
  EXPECT_DOUBLE_EQ(lo.lr_init, 0.02);
  EXPECT_DOUBLE_EQ(lo.momentum_init, 0.1);
  EXPECT_EQ(lo.curvature_steps, 10u);
  EXPECT_EQ(lo.curvature.batchnorm, nw::BatchNormPolicy::eval);
  EXPECT_EQ(lo.curvature.chunk_size, 16);
  EXPECT_EQ(learner_options_from_config(Config::parse("[c8]\n", "empty"), "c8").warmstart, -1);  // the authors' default
  EXPECT_EQ(learner_options_from_config(Config::parse("[c8]\n", "empty"), "c8").curvature.batchnorm, nw::BatchNormPolicy::train);
  const auto d = tiny_data();
  auto m = nw::Model::create(batchrmt::testing::linear_spec(d, 0), "cpu");
  const auto res = nw::train_with_learner(m, d, lo, make_learner_rule("ssgdm", "minimum", "polyak"), make_learner_margin_rule());
  ASSERT_EQ(res.history.size(), 3u);
  for (int k = 0; k < 2; ++k) {  // epochs 0 and 1: lr_init, momentum_init, no update, no margins
    EXPECT_FALSE(res.history[k].updated);
    EXPECT_DOUBLE_EQ(res.history[k].lr, 0.02);
    EXPECT_DOUBLE_EQ(res.history[k].momentum, 0.1);
    EXPECT_TRUE(std::isnan(res.history[k].margin));
  }
  EXPECT_TRUE(res.history[2].updated);
  EXPECT_TRUE(std::isfinite(res.history[2].margin));
  EXPECT_NE(res.history[2].lr, 0.02);
}

TEST(ClaimC8, TinySyntheticConfigGivesAVerdictWithMarginsAndRawZ) {
  nw::set_torch_threads(1);
  const auto c = Config::parse(
      "[c8]\nmodel = \"linear\"\ndataset = \"synthetic\"\ntrain_subset = 400\ntest_subset = 300\nvalidation = 100\n"
      "epochs = 2\nbatch_size = 32\nseeds = 2\nbaseline_lrs = [0.01, 0.1]\ncurvature_steps = 10\ncurvature_batch = 16\n"
      "warmstart = 1\n",
      "tiny");
  const auto r = claim_spectrum_learner(c, 3);
  ASSERT_NE(r.verdict, Verdict::not_measured) << r.note;
  EXPECT_EQ(r.scalars.at("warmstart"), 1.0);
  const auto& upd = r.series.at("learner_updated");
  ASSERT_EQ(upd.size(), 2u);
  EXPECT_EQ(upd[0], 0.0);  // the warm-start epoch
  EXPECT_EQ(upd[1], 1.0);
  const auto& mar = r.series.at("learner_margin");
  EXPECT_TRUE(std::isnan(mar[0]));
  EXPECT_NEAR(mar[1], r.series.at("learner_lr")[1] * r.series.at("learner_L")[1] / (2 * (1 + r.series.at("learner_momentum")[1])),
              1e-12);
  EXPECT_GE(r.series.at("learner_margin_mean_square")[1], mar[1]);
  EXPECT_EQ(r.matrices.at("learner_margin_per_seed").rows(), 2);
  // The raw z is the plain signed difference over the se, whatever the verdict.
  if (std::isfinite(r.stderr_) && r.stderr_ > 0) {
    EXPECT_NEAR(r.z, (r.measurement - r.prediction) / r.stderr_, 1e-12);
  }
  EXPECT_NE(r.note.find("raw z"), std::string::npos);
  EXPECT_NE(r.note.find("margin"), std::string::npos);
}

#endif
