// `mpirun -np 2 batchrmt reproduce`: checks and claims are dealt out over the ranks,
// each run whole on one rank, so those claims equal the single-process run exactly; C5 runs on
// every rank together (data-parallel) and equals it to float64 rounding; rank 0 writes the file
// and the report. Built only when MPI is (BATCHRMT_MPIEXEC).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/apps/cli_support.hpp"

#ifdef BATCHRMT_MPIEXEC
namespace fs = std::filesystem;
using batchrmt::testing::run_cli;

namespace {

// The command line running the CLI with `args` under mpirun with 2 ranks (OpenMPI refuses root
// without --allow-run-as-root; --oversubscribe allows 2 ranks anywhere).
std::string two_ranks(const std::string& args) {
  return std::string(BATCHRMT_MPIEXEC) + " --allow-run-as-root --oversubscribe -np 2 " + BATCHRMT_CLI + " " + args;
}

// Runs two_ranks(args) with stdout to `out`; returns the JSON printed there.
nlohmann::json run_two_ranks(const std::string& args, const std::string& out) {
  const std::string cmd = two_ranks(args) + " >" + out + " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out);
  return nlohmann::json::parse(in);  // exactly one JSON object: rank 0 alone prints
}

// An empty folder under the temp dir, named after `tag` and this process.
fs::path fresh_dir(const std::string& tag) {
  const fs::path dir = fs::temp_directory_path() / (tag + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST(ReproduceMpi, TwoRanksGiveTheSameClaimsAsOneProcessAndOneReport) {
  const fs::path dir = fresh_dir("batchrmt_reproduce_mpi");
  const std::string toml = (dir / "tiny.toml").string();
  std::ofstream(toml) << "[v1]\nn = 50\ntrials = 20\n[c1]\nP = 40\nN = 200\nbatch_sizes = [2, 8, 32, 200]\nsubsets = 4\n"
                         "[c3]\nn = 100\ntrials = 10\n";
  const std::string args = "--json --seed 2 reproduce --config " + toml + " --only V1 C1 C3 --no-plots --out ";
  const auto serial = run_cli(args + (dir / "s.h5").string());
  ASSERT_EQ(serial.exit_code, 0) << serial.err;
  const std::string out = (dir / "m.json").string();
  const auto m = run_two_ranks(args + (dir / "m.h5").string(), out);
  const auto s = nlohmann::json::parse(serial.out);
  ASSERT_EQ(m["claims"].size(), 3u);
  EXPECT_EQ(m["claims"], s["claims"]);
  EXPECT_TRUE(fs::exists(dir / "m" / "report.md"));
  // Resuming the complete file under mpirun recomputes nothing.
  const auto r = run_two_ranks(args + (dir / "m.h5").string() + " --resume", out);
  EXPECT_EQ(r["units_skipped_complete"], 3);
  EXPECT_EQ(r["claims"], s["claims"]);
  fs::remove_all(dir);
}

// A subcommand that does not share its work out refuses to run once per rank (every rank would
// write the same file): one sentence, exit 2.
TEST(ReproduceMpi, CommandsThatDoNotSpreadRefuseSeveralRanks) {
  const std::string cmd = two_ranks("inspect /nonexistent.h5") + " >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 2) << rc;
}

#ifdef BATCHRMT_WITH_TORCH
// C5 is collective: every rank takes part in each spectrum (products spread over the ranks,
// rank 0 trains and writes the checkpoints the others read), so its numbers equal the
// single-process run to float64 rounding (float64 networks here): relative 1e-10 on every
// headline number, and the same verdict.
TEST(ReproduceMpi, RealNetworkClaimIsDataParallelAndEqualsOneProcess) {
  const fs::path dir = fresh_dir("batchrmt_reproduce_mpi_c5");
  const std::string toml = (dir / "c5.toml").string();
  std::ofstream(toml) << "[run]\nonly = [\"C5\"]\n[c5]\ncases = [\"linear_init\", \"lenet_trained\"]\ntrain_subset = 384\n"
                         "test_subset = 100\nbatch_sizes = [8, 64, 0]\nsubsets = 2\nlanczos_steps = 10\nfull_lanczos_steps = 12\n"
                         "noise_samples = 30\ndtype = \"float64\"\nchunk_size = 128\n[c5.lenet_trained]\nmodel = \"lenet\"\n"
                         "epochs = 1\nmeasure_epochs = [0, 1]\n";
  const std::string args = "--json --threads 1 reproduce --config " + toml + " --no-plots --out ";
  const auto serial = run_cli(args + (dir / "s.h5").string());
  ASSERT_EQ(serial.exit_code, 0) << serial.err;
  const auto m = run_two_ranks(args + (dir / "m.h5").string(), (dir / "m.json").string())["claims"].at(0);
  const auto s = nlohmann::json::parse(serial.out)["claims"].at(0);
  EXPECT_EQ(m["verdict"], s["verdict"]);
  for (const char* k : {"prediction", "measurement", "stderr"}) {
    ASSERT_TRUE(s[k].is_number()) << k;
    const double a = s[k], b = m[k];
    EXPECT_LE(std::abs(a - b), 1e-10 * std::abs(a)) << k;
  }
  EXPECT_TRUE(fs::exists(dir / "m.work" / "c5-lenet_trained_e1.h5"));
  fs::remove_all(dir);
}
#endif
#endif
