// `batchrmt spectrum` as users meet it (runs the built binary; LibTorch builds only).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/apps/cli_support.hpp"
#include "tests/networks/test_support.hpp"

using batchrmt::testing::count_lines;
using batchrmt::testing::run_cli;
using batchrmt::testing::ScratchDir;

namespace {

const std::string kLinear =
    "spectrum --model linear --init zeros --dataset synthetic --synthetic-train 300 --seed 1 --quiet --json ";

std::vector<std::size_t> shape_of(const nlohmann::json& d, const std::string& path) {
  for (const auto& node : d["tree"])
    if (node["path"] == path) return node["shape"].get<std::vector<std::size_t>>();
  ADD_FAILURE() << path << " not in the file";
  return {};
}

}  // namespace

TEST(SpectrumCli, MeasuresRowsWithNoiseAndPredictionsAndResumes) {
  ScratchDir d("spectrum_cli");
  const std::string args = kLinear + "--batch-sizes full,16,64 --subsets 3 --lanczos-steps 20 --noise-samples 100 --out " +
                           (d / "s.h5");
  const auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(j["rows"][0]["B"], "full");
  EXPECT_EQ(j["rows"][1]["B"], 16);
  EXPECT_EQ(j["rows"][1]["subsets"], 3);
  EXPECT_EQ(j["P"], 7850);
  EXPECT_EQ(j["N"], 300);
  for (const auto& row : j["rows"])
    for (const char* k : {"top_mean", "bottom_mean", "v_phi", "v_phi_se", "predicted_top"}) EXPECT_TRUE(row[k].is_number()) << k;
  EXPECT_TRUE(j["rows"][0]["top_se"].is_null());  // one run on the full operator
  EXPECT_TRUE(j["rows"][1]["top_se"].is_number());
  const double lam = j["lambda_full"];
  EXPECT_GT(lam, 0);
  EXPECT_DOUBLE_EQ(j["rows"][0]["predicted_top"].get<double>(), lam);  // kappa_N = 0 (the Rayleigh quotient of phi)
  EXPECT_GT(j["rows"][1]["predicted_top"].get<double>(), j["rows"][2]["predicted_top"].get<double>());
  EXPECT_GT(j["rows"][1]["top_mean"].get<double>(), lam);

  const auto ins = run_cli("inspect --json " + (d / "s.h5"));
  ASSERT_EQ(ins.exit_code, 0) << ins.err;
  const auto tree = nlohmann::json::parse(ins.out);
  EXPECT_EQ(shape_of(tree, "/spectrum/B=16/subset=2/indices"), std::vector<std::size_t>{16});
  EXPECT_EQ(shape_of(tree, "/spectrum/B=64/subset=0/alpha"), std::vector<std::size_t>{20});
  EXPECT_EQ(shape_of(tree, "/spectrum/noise/top_norm2"), std::vector<std::size_t>{100});
  EXPECT_EQ(shape_of(tree, "/spectrum/summary/top_mean"), std::vector<std::size_t>{3});

  // Resuming a complete file recomputes nothing and reports the same numbers.
  const auto again = run_cli(args + " --resume");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto j2 = nlohmann::json::parse(again.out);
  EXPECT_EQ(j2["rows"], j["rows"]);
  // A fresh run refuses to overwrite.
  EXPECT_EQ(run_cli(args).exit_code, 2);
}

TEST(SpectrumCli, SelfCheckPassesOnTheLinearModel) {
  const auto r = run_cli(kLinear + "--self-check --self-check-samples 64");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["passed"].get<bool>());
  EXPECT_EQ(j["self_check"].size(), 7u);
}

TEST(SpectrumCli, BadValuesAreOneSentenceWithExitCode2) {
  for (const std::string bad : {"--batch-sizes 0", "--batch-sizes 301", "--curvature hess", "--batchnorm both",
                                "--dtype half", "--layers nothing"}) {
    ScratchDir d("spectrum_bad");
    const auto r = run_cli(kLinear + bad + " --out " + (d / "x.h5"));
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << bad << ": " << r.err;
  }
}

TEST(SpectrumCli, ReadsATrainingRunCheckpoint) {
  ScratchDir d("spectrum_ckpt");
  const auto t = run_cli("train --model mlp --widths 16 --dataset synthetic --synthetic-train 200 --synthetic-test 50 "
                         "--batch-size 50 --epochs 1 --quiet --json --out " + (d / "run.h5"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto r = run_cli("spectrum --checkpoint " + (d / "run.h5") +
                         " --epoch 1 --batch-sizes full,32 --subsets 2 --lanczos-steps 15 --quiet --json --out " +
                         (d / "s.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["N"], 200);  // the run's dataset (synthetic, 200 items)
  EXPECT_NE(j["model"].get<std::string>().find("mlp"), std::string::npos);
  const auto missing = run_cli("spectrum --checkpoint " + (d / "run.h5") + " --epoch 7 --quiet --out " + (d / "t.h5"));
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
}
