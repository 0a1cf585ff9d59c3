// `batchrmt advise` as users meet it (runs the built binary; LibTorch builds only): the table's
// numbers follow from the measured ones, the measurement is the one `spectrum` makes, --measure
// adds the swept limits, a resumed run reads its units back, and bad input is one sentence.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "outputs/store.hpp"
#include "tests/apps/cli_support.hpp"
#include "tests/networks/test_support.hpp"

using batchrmt::testing::count_lines;
using batchrmt::testing::run_cli;
using batchrmt::testing::ScratchDir;

namespace {

const std::string kData = " --model linear --init zeros --dataset synthetic --synthetic-train 300 --seed 1 --quiet";
const std::string kSpectrum = " --batch-sizes 16,64 --subsets 3 --lanczos-steps 20 --full-lanczos-steps 30 --noise-samples 100";

nlohmann::json run_json(const std::string& args) {
  const auto r = run_cli("--json --threads 1 " + args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

}  // namespace

TEST(AdviseCli, TheTableFollowsFromTheSpectrumAndTheGradientNoise) {
  ScratchDir d("advise_cli");
  const auto a = run_json("advise" + kData + kSpectrum + " --gradient-samples 64 --momentum 0.5 --out " + (d / "a.h5"));
  const auto s = run_json("spectrum" + kData + kSpectrum + " --out " + (d / "s.h5"));
  ASSERT_TRUE(a.contains("rows") && s.contains("rows"));
  // The same measurement as `batchrmt spectrum` with the same options and seed.
  EXPECT_EQ(a["lambda_full"].get<double>(), s["lambda_full"].get<double>());
  EXPECT_EQ(a["v_phi"].get<double>(), s["v_phi"].get<double>());
  ASSERT_EQ(a["rows"].size(), 2u);
  const double lam = a["lambda_full"], v = a["v_phi"], rho = 0.5;
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& r = a["rows"][i];
    EXPECT_EQ(r["B"], s["rows"][i]["B"]);
    EXPECT_EQ(r["top"].get<double>(), s["rows"][i]["top_mean"].get<double>());
    const double kappa = r["kappa"], top = r["top"];
    EXPECT_NEAR(r["q"].get<double>(), kappa * v / (lam * lam), 1e-12);
    EXPECT_NEAR(r["predicted_top"].get<double>(), lam + kappa * v / lam, 1e-12 * lam);
    EXPECT_NEAR(r["sgd_lr"].get<double>(), 2 * (1 + rho) / top, 1e-12 / top);
    EXPECT_NEAR(r["sgd_lr_mean_square"].get<double>(), 2 * (1 + rho) / (lam + kappa * v / lam), 1e-12 / lam);
    EXPECT_TRUE(r["adam_lr"].is_number());
    EXPECT_TRUE(r["regime"].is_string());
    EXPECT_TRUE(r["gradient_regime"].is_string());
  }
  EXPECT_NEAR(a["b_simple"].get<double>(), a["trace_sigma"].get<double>() / a["gradient_norm2"].get<double>(),
              1e-12 * a["b_simple"].get<double>());
  EXPECT_NEAR(a["b_crit_curvature"].get<double>(), v / (lam * lam), 1e-12 * v / (lam * lam));
  EXPECT_EQ(a["gradient_samples"], 64);
  EXPECT_TRUE(a["measured"].empty());

  // The file holds the spectrum units, the gradient noise unit and the table.
  const auto reader = batchrmt::outputs::Reader::open(d / "a.h5");
  const auto units = reader.unit_status();
  EXPECT_EQ(units.at("/advise/gradient_noise"), "complete");
  EXPECT_EQ(units.at("/spectrum/full"), "complete");
  EXPECT_EQ(reader.root().group("advise/table").read_int_vector("B"), (std::vector<std::int64_t>{16, 64}));

  // A resumed run reads every unit back and prints the same table.
  const auto again = run_json("advise" + kData + kSpectrum + " --gradient-samples 64 --momentum 0.5 --resume --out " + (d / "a.h5"));
  EXPECT_EQ(again["rows"], a["rows"]);
  EXPECT_EQ(again["b_simple"], a["b_simple"]);
}

TEST(AdviseCli, MeasureSweepsTwoBatchSizesForBothOptimisers) {
  ScratchDir d("advise_measure");
  const auto a = run_json("advise" + kData + kSpectrum + " --gradient-samples 32 --measure --steps 10 --seeds 1 --out " +
                          (d / "m.h5"));
  ASSERT_EQ(a["measured"].size(), 4u);
  for (const auto& m : a["measured"]) {
    EXPECT_EQ(m["divergence_factor"], 2.0);
    EXPECT_TRUE(m["predicted"].is_number());
    if (m["status"] == "bracketed") {
      EXPECT_NEAR(m["ratio"].get<double>(), m["lr_max"].get<double>() / m["predicted"].get<double>(), 1e-12);
      EXPECT_TRUE(m["z"].is_number());
    } else {
      EXPECT_TRUE(m["lr_max"].is_null());
    }
  }
  EXPECT_EQ(a["measured"][0]["optimizer"], "sgd");
  EXPECT_EQ(a["measured"][0]["B"], 16);
  EXPECT_EQ(a["measured"][1]["B"], 64);
  EXPECT_EQ(a["measured"][2]["optimizer"], "adam");
  const auto root = batchrmt::outputs::Reader::open(d / "m.h5").root();
  EXPECT_EQ(root.group("advise/measured").read_strings("optimizer").size(), 4u);
  EXPECT_GE(root.group("advise/sweep/sgd/B=16").read_vector("lr").size(), 2);
  EXPECT_FALSE(std::filesystem::exists(d / "m.work"));  // the sweeps' work files go once the file is committed
}

TEST(AdviseCli, BadInputIsOneSentenceWithExitTwo) {
  ScratchDir d("advise_bad");
  const std::string base = "advise" + kData + kSpectrum + " --out " + (d / "b.h5");
  for (const char* bad : {" --momentum 1.5", " --measure --measure-batch-sizes 7", " --noise-samples 301",
                                 " --optimizers rmsprop", " --batch-sizes 0", " --subsets 1", " --divergence-factor 3"}) {
    const auto r = run_cli(base + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << bad << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(d / "b.h5"));
}
