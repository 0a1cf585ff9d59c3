// `batchrmt learn` as users run it: per-epoch rates in JSON and the HDF5 history.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "outputs/store.hpp"
#include "tests/apps/cli_support.hpp"

namespace fs = std::filesystem;
using batchrmt::testing::run_cli;

TEST(LearnCli, StoresEveryUpdateAndPrintsTheRates) {
  const fs::path dir = fs::temp_directory_path() / ("batchrmt_learn_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string h5 = (dir / "learn.h5").string();
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);  // the CLI inherits it: LibTorch threads must not spin
  const auto run = run_cli("--json --threads 1 learn --model linear --dataset synthetic --epochs 2 --batch-size 64"
                           " --curvature-batch 16 --curvature-steps 8 --warmstart 1 --lr-init 0.02 --out " + h5);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto j = nlohmann::json::parse(run.out);
  ASSERT_EQ(j["epochs"].size(), 2u);
  // --warmstart 1: epoch 1 at --lr-init without an update (no margins), epoch 2 updated.
  EXPECT_FALSE(j["epochs"][0]["updated"].get<bool>());
  EXPECT_DOUBLE_EQ(j["epochs"][0]["lr"].get<double>(), 0.02);
  EXPECT_TRUE(j["epochs"][0]["margin"].is_null());
  for (std::size_t k = 1; k < 2; ++k) {
    const auto& e = j["epochs"][k];
    EXPECT_TRUE(e["updated"].get<bool>());
    EXPECT_GT(e["v_phi"].get<double>(), 0.0);
    EXPECT_NEAR(e["margin"].get<double>(),
                e["lr"].get<double>() * e["L"].get<double>() / (2 * (1 + e["momentum"].get<double>())), 1e-12);
    EXPECT_GT(e["margin_mean_square"].get<double>(), e["margin"].get<double>());
    EXPECT_GT(e["L"].get<double>(), 0.0);
    EXPECT_GE(e["L"].get<double>(), e["mu"].get<double>());
    EXPECT_GT(e["lr"].get<double>(), 0.0);
    EXPECT_GE(e["momentum"].get<double>(), 0.0);
    EXPECT_LT(e["momentum"].get<double>(), 1.0);
  }
  const auto r = batchrmt::outputs::Reader::open(h5);
  const auto g = r.root().group("learn");
  EXPECT_EQ(g.group("history").read_vector("lr").size(), 2);
  const auto margin = g.group("history").read_vector("margin"), ms = g.group("history").read_vector("margin_mean_square");
  ASSERT_EQ(margin.size(), 2);
  EXPECT_TRUE(std::isnan(margin(0)));
  EXPECT_DOUBLE_EQ(margin(1), j["epochs"][1]["margin"].get<double>());
  EXPECT_GT(ms(1), margin(1));
  EXPECT_GT(g.group("history").read_vector("v_phi")(1), 0.0);
  EXPECT_EQ(g.group("updates/e=2").read_vector("ritz").size(), 8);
  EXPECT_EQ(g.read_int_vector("curvature_indices").size(), 16u);
  fs::remove_all(dir);
}

TEST(BenchCli, TimesGradientHvpAndLanczosStep) {
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  const auto run = run_cli("--json --threads 1 bench curvature --model lenet --channels 1 --side 28 --classes 10 "
                           "--batch 16 --repeats 2 --lanczos-steps 5");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto j = nlohmann::json::parse(run.out);
  for (const char* key : {"gradient_ms", "hvp_fresh_ms", "hvp_reused_ms", "lanczos_step_ms", "hvp_over_gradient",
                          "lanczos_step_hvp_ms", "lanczos_step_reorth_ms"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_GT(j[key].get<double>(), 0.0) << key;
  }
  EXPECT_EQ(j["lanczos_steps"], 5);
  EXPECT_EQ(j["lanczos_basis"], "host");  // auto on the CPU (gpu-check.sh reads these keys)
  // The step's parts are inside the step's wall time.
  EXPECT_LE(j["lanczos_step_hvp_ms"].get<double>() + j["lanczos_step_reorth_ms"].get<double>(),
            j["lanczos_step_ms"].get<double>() * 1.001);
}
