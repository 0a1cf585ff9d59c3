// `batchrmt spectrum` as users meet it (runs the built binary; LibTorch builds only).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <Eigen/Core>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "outputs/store.hpp"
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
  // kappa_N = 0: the prediction is the Rayleigh quotient of phi, which equals the Ritz value up to
  // the squared Ritz residual and the rounding of one more product (8 ulps with LibTorch 2.6).
  EXPECT_NEAR(j["rows"][0]["predicted_top"].get<double>(), lam, 1e-12 * lam);
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

// --lanczos-basis device on the CPU runs networks/device_lanczos.cpp (basis as torch tensors):
// the same numbers as the host basis to the rounding of two GEMV kernels (1e-9 relative, see
// device_lanczos_test.cpp), and a placement that cannot work is refused.
TEST(SpectrumCli, DeviceLanczosBasisGivesTheHostNumbers) {
  ScratchDir d("spectrum_device_basis");
  const std::string base = "spectrum --model mlp --widths 16 --dataset synthetic --synthetic-train 300 --seed 3 --quiet "
                           "--json --batch-sizes full,32 --subsets 2 --lanczos-steps 20 --noise-samples 50 ";
  const auto host = run_cli(base + "--lanczos-basis host --out " + (d / "h.h5"));
  const auto dev = run_cli(base + "--lanczos-basis device --out " + (d / "d.h5"));
  ASSERT_EQ(host.exit_code, 0) << host.err;
  ASSERT_EQ(dev.exit_code, 0) << dev.err;
  const auto jh = nlohmann::json::parse(host.out), jd = nlohmann::json::parse(dev.out);
  EXPECT_EQ(jh["lanczos_basis"], "host memory");
  EXPECT_EQ(jd["lanczos_basis"].get<std::string>().rfind("device (cpu)", 0), 0u) << jd["lanczos_basis"];
  const double lam = jh["lambda_full"];
  EXPECT_NEAR(jd["lambda_full"].get<double>(), lam, 1e-9 * lam);
  ASSERT_EQ(jh["rows"].size(), jd["rows"].size());
  for (std::size_t i = 0; i < jh["rows"].size(); ++i)
    for (const char* k : {"top_mean", "bottom_mean", "v_phi"})
      EXPECT_NEAR(jd["rows"][i][k].get<double>(), jh["rows"][i][k].get<double>(), 1e-9 * lam) << k << " row " << i;
  const auto refused = run_cli(base + "--lanczos-basis device --reorth selective --out " + (d / "x.h5"));
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_EQ(count_lines(refused.err), 1) << refused.err;
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

#ifdef BATCHRMT_MPIEXEC
// `mpirun -np 2 batchrmt spectrum` spreads the full-data products over the ranks
// (rank 0 runs Lanczos), splits the noise samples and deals the (B, subset) runs out; the
// result file equals the single-process one to float64 rounding (the reduction changes the
// summation order, nothing else): relative 1e-12 on Lanczos coefficients and per-sample norms,
// bit for bit on the subset runs (each one computed whole on one rank). Also with
// --fluctuation-steps (rank 0 runs every subset, eps_B's full-data part spread) and resume.
namespace {

std::string mpirun(const std::string& args) {
  // OpenMPI refuses root without --allow-run-as-root; --oversubscribe allows 2 ranks anywhere.
  return std::string(BATCHRMT_MPIEXEC) + " --allow-run-as-root --oversubscribe -np 2 " + BATCHRMT_CLI + " " + args;
}

double relative_gap(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  return (a - b).cwiseAbs().maxCoeff() / std::max(a.cwiseAbs().maxCoeff(), 1e-300);
}

}  // namespace

TEST(SpectrumCli, TwoMpiRanksEqualOneProcessToFloat64Rounding) {
  ScratchDir d("spectrum_mpi");
  const std::string base = "spectrum --model mlp --widths 16 --dataset synthetic --synthetic-train 1000 --seed 4 --threads 1 "
                           "--chunk-size 128 --lanczos-steps 15 --quiet --json ";
  for (const std::string extra : {"--batch-sizes full,16,64 --subsets 3 --noise-samples 101",
                                  "--batch-sizes 32 --subsets 2 --fluctuation-steps 8"}) {
    const std::string serial = d / "serial.h5", parallel = d / "mpi.h5";
    std::filesystem::remove(serial);
    std::filesystem::remove(parallel);
    const auto s = run_cli(base + extra + " --out " + serial);
    ASSERT_EQ(s.exit_code, 0) << s.err;
    ASSERT_EQ(std::system((mpirun(base + extra + " --out " + parallel) + " >/dev/null 2>&1").c_str()), 0) << extra;
    const auto a = batchrmt::outputs::Reader::open(serial), b = batchrmt::outputs::Reader::open(parallel);
    ASSERT_EQ(a.complete_units(), b.complete_units()) << extra;
    for (const auto& unit : a.complete_units()) {
      const auto ga = a.root().group(unit.substr(1)), gb = b.root().group(unit.substr(1));
      const bool whole_on_one_rank = unit.find("/B=") != std::string::npos && extra.find("fluctuation") == std::string::npos;
      for (const char* key : {"alpha", "beta", "ritz_values", "top_norm2", "top_proj2", "bottom_norm2", "eps_ritz_values"}) {
        if (!ga.has(key)) continue;
        const Eigen::VectorXd va = ga.read_vector(key), vb = gb.read_vector(key);
        if (whole_on_one_rank)
          EXPECT_EQ(va, vb) << unit << "/" << key;
        else
          EXPECT_LE(relative_gap(va, vb), 1e-12) << unit << "/" << key;
      }
    }
    EXPECT_EQ(std::get<std::string>(*b.root().group("spectrum").attribute("mpi_ranks")), "2");
  }
  // Resume under mpirun: drop to 2 subsets' worth by asking for a third one more.
  const std::string more = base + "--batch-sizes full,16 --subsets 2 --noise-samples 50 --out " + (d / "r.h5");
  ASSERT_EQ(std::system((mpirun(more) + " >/dev/null 2>&1").c_str()), 0);
  const std::string three = base + "--batch-sizes full,16 --subsets 3 --noise-samples 50 --resume --out " + (d / "r.h5");
  ASSERT_EQ(std::system((mpirun(three) + " >/dev/null 2>&1").c_str()), 0);
  const auto serial3 = run_cli(base + "--batch-sizes full,16 --subsets 3 --noise-samples 50 --out " + (d / "r1.h5"));
  ASSERT_EQ(serial3.exit_code, 0) << serial3.err;
  const auto r = batchrmt::outputs::Reader::open(d / "r.h5"), r1 = batchrmt::outputs::Reader::open(d / "r1.h5");
  EXPECT_LE(relative_gap(r.root().group("spectrum/summary").read_vector("top_mean"),
                         r1.root().group("spectrum/summary").read_vector("top_mean")),
            1e-12);
  // A failing rank ends the job with the exit code of the failure (no rank left waiting).
  const int rc = std::system((mpirun(base + "--batch-sizes 16 --out " + (d / "r.h5")) + " >/dev/null 2>&1").c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 2) << rc;
}
#endif
