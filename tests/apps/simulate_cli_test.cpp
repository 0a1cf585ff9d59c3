// `batchrmt simulate ...` as users run it: JSON keys, bad input, and MPI = serial bit for bit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "outputs/store.hpp"
#include "tests/apps/cli_support.hpp"

using batchrmt::testing::count_lines;
using batchrmt::testing::run_cli;
namespace fs = std::filesystem;

TEST(SimulateCli, SpikedWignerJsonHasTheDocumentedKeys) {
  for (const char* method : {"dense", "tridiagonal"}) {
    const auto r = run_cli(std::string("--json simulate spiked-wigner --n 200 --theta 3 --trials 20 --method ") + method);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    for (const char* key : {"top_mean", "top_se", "bottom_mean", "bottom_se", "trials", "method"})
      EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j["method"], method);
    EXPECT_EQ(j["trials"], 20);
    // theta = 3: outlier 3 + 1/3; 20 trials at n = 200 put the mean within ~0.05.
    EXPECT_NEAR(j["top_mean"].get<double>(), 3 + 1.0 / 3, 0.1);
  }
}

TEST(SimulateCli, BadInputExitsTwoBeforeAnyWork) {
  for (const char* args : {"simulate spiked-wigner --n 1 --trials 5", "simulate spiked-covariance --p 10 --n 20 --ell 2 --trials 5 --method nope",
                           "simulate batch-hessian --P 10 --N 20 --B 30 --trials 3",
                           "simulate batch-hessian --P 10 --N 20 --B 0 --trials 3",
                           "simulate spiked-covariance --p 10 --n 20 --ell -1 --trials 5",
                           "simulate variance-profile --block-sizes 2,2 --block-variances 1,2,3,1 --trials 3",
                           "simulate variance-profile --block-sizes 2,2 --block-variances 1,2,2 --trials 3",
                           "simulate spiked-wigner --n 200000000 --trials 2",
                           "simulate spiked-wigner --n abc --trials 2"}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << args << "\n" << r.err;
  }
}

TEST(SimulateCli, BatchHessianRowsCarryMeasurementAndPrediction) {
  const auto r = run_cli("--json --seed 2 simulate batch-hessian --P 40 --N 200 --spikes 4,-3 --B 4,50,200 --trials 4 --s2 0.02");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["rows"].size(), 3u);
  for (const auto& row : j["rows"])
    for (const char* key : {"B", "kappa", "top_mean", "top_se", "bottom_mean", "bottom_se", "predicted_top", "predicted_bottom", "regime"})
      EXPECT_TRUE(row.contains(key)) << key;
  // B = N: no fluctuation at all, so the batch spectrum is H_emp's exactly.
  EXPECT_EQ(j["rows"][2]["kappa"], 0.0);
  EXPECT_NEAR(j["rows"][2]["top_mean"].get<double>(), j["rows"][2]["predicted_top"].get<double>(), 1e-10);
  // The top grows and the bottom falls as B shrinks.
  EXPECT_GT(j["rows"][0]["top_mean"].get<double>(), j["rows"][2]["top_mean"].get<double>());
  EXPECT_LT(j["rows"][0]["bottom_mean"].get<double>(), j["rows"][2]["bottom_mean"].get<double>());
}

#ifdef BATCHRMT_MPIEXEC
TEST(SimulateCli, MpiRunWithTwoRanksEqualsSerialRunBitForBit) {
  const fs::path dir = fs::temp_directory_path() / ("batchrmt_mpi_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string serial = (dir / "serial.h5").string(), parallel = (dir / "mpi.h5").string();
  const std::string args = " --seed 5 simulate batch-hessian --P 30 --N 100 --spikes 3 --B 2,5,10,50,100 --trials 4 --out ";
  const auto s = run_cli(args + serial);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  // OpenMPI refuses root without --allow-run-as-root; --oversubscribe allows 2 ranks on any machine.
  const std::string mpi = std::string(BATCHRMT_MPIEXEC) + " --allow-run-as-root --oversubscribe -np 2 " + BATCHRMT_CLI + args + parallel;
  ASSERT_EQ(std::system((mpi + " >/dev/null 2>&1").c_str()), 0) << mpi;
  const auto a = batchrmt::outputs::Reader::open(serial), b = batchrmt::outputs::Reader::open(parallel);
  EXPECT_EQ(a.complete_units(), b.complete_units());
  ASSERT_EQ(a.complete_units().size(), 5u);
  for (const auto& unit : a.complete_units()) {
    const auto ga = a.root().group(unit).group("values"), gb = b.root().group(unit).group("values");
    for (const char* key : {"top", "bottom", "frobenius2"}) EXPECT_EQ(ga.read_vector(key), gb.read_vector(key)) << unit << key;
  }
  fs::remove_all(dir);
}
#endif
