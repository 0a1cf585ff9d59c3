// The CLI as users meet it: help, version, exit codes and one-sentence errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/apps/cli_support.hpp"

using batchrmt::testing::count_lines;
using batchrmt::testing::run_cli;
namespace fs = std::filesystem;

TEST(Cli, HelpListsRegisteredSubcommandsAndExitsZero) {
  const auto r = run_cli("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("inspect"), std::string::npos);
  EXPECT_NE(r.out.find("reproduce"), std::string::npos);
  EXPECT_NE(r.out.find("--json"), std::string::npos);
  for (const char* sub : {"inspect", "reproduce"}) {
    const auto s = run_cli(std::string(sub) + " --help");
    EXPECT_EQ(s.exit_code, 0) << sub;
    EXPECT_NE(s.out.find("Usage"), std::string::npos) << sub;
  }
}

TEST(Cli, VersionPrintsVersionAndSha) {
  const auto r = run_cli("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("batchrmt ", 0), 0u);
  const auto j = run_cli("--version --json");
  ASSERT_EQ(j.exit_code, 0);
  const auto obj = nlohmann::json::parse(j.out);
  EXPECT_TRUE(obj.contains("version"));
  EXPECT_TRUE(obj.contains("git_sha"));
  EXPECT_FALSE(obj["git_sha"].get<std::string>().empty());
}

TEST(Cli, BadFlagExitsTwoWithOneReadableSentence) {
  const auto r = run_cli("--no-such-flag");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos);
  const auto t = run_cli("--threads 0 inspect x.h5");
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find("threads"), std::string::npos) << t.err;
  EXPECT_EQ(count_lines(t.err), 1) << t.err;
  const auto u = run_cli("no-such-subcommand");
  EXPECT_EQ(u.exit_code, 2);
}

TEST(Cli, InspectReadsAStoreFileAndRefusesCorruptOnes) {
  const fs::path dir = fs::temp_directory_path() / ("batchrmt_cli_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string h5 = (dir / "run.h5").string();
  const auto rep = run_cli("--seed 3 reproduce --only V1 --no-plots --out " + h5);
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_NE(rep.out.find(h5), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "run" / "report.md"));

  const auto ins = run_cli("inspect " + h5);
  EXPECT_EQ(ins.exit_code, 0) << ins.err;
  EXPECT_NE(ins.out.find("[unit: complete]"), std::string::npos);
  const auto js = run_cli("--json inspect " + h5);
  ASSERT_EQ(js.exit_code, 0);
  const auto d = nlohmann::json::parse(js.out);
  EXPECT_EQ(d["attributes"]["seed"], 3);
  EXPECT_EQ(d["run_status"], "complete");

  const std::string junk = (dir / "junk.h5").string();
  std::ofstream(junk) << "this is not HDF5\n";
  const auto bad = run_cli("inspect " + junk);
  EXPECT_TRUE(bad.exit_code == 1 || bad.exit_code == 2);
  EXPECT_EQ(count_lines(bad.err), 1) << bad.err;
  EXPECT_NE(bad.err.find(junk), std::string::npos);
  const auto missing = run_cli("inspect " + (dir / "none.h5").string());
  EXPECT_EQ(missing.exit_code, 2);  // a missing input file is bad input (docs/reliability.md, "Exit codes")

  // A second run into the same file refuses without --resume/--overwrite, and resumes with it.
  const auto again = run_cli("reproduce --only V1 --out " + h5);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--resume"), std::string::npos);
  // The same seed: a resume with another one is refused (run identity, docs/reliability.md).
  const auto other_seed = run_cli("reproduce --only V1 --no-plots --resume --out " + h5);
  EXPECT_EQ(other_seed.exit_code, 2) << other_seed.err;
  EXPECT_NE(other_seed.err.find("--seed"), std::string::npos) << other_seed.err;
  const auto resumed = run_cli("--json --seed 3 reproduce --only V1 --no-plots --resume --out " + h5);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(nlohmann::json::parse(resumed.out)["units_skipped_complete"], 1);
  fs::remove_all(dir);
}

TEST(Cli, ReproduceJsonListsClaimsWithTheirNumbers) {
  const fs::path dir = fs::temp_directory_path() / ("batchrmt_cli_claims_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string h5 = (dir / "run.h5").string(), toml = (dir / "tiny.toml").string();
  std::ofstream(toml) << "[v1]\nn = 50\ntrials = 40\n[c1]\nP = 20\nN = 60\ns2 = 0.1\nbatch_sizes = [1, 6, 60]\nsubsets = 12\n";
  const auto r = run_cli("--json reproduce --config " + toml + " --only V1 C1 --no-plots --out " + h5);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["claims"].size(), 2u);
  for (const auto& c : j["claims"])
    for (const char* key : {"id", "name", "verdict", "prediction", "measurement", "stderr", "z"}) EXPECT_TRUE(c.contains(key)) << key;
  EXPECT_EQ(j["claims"][0]["id"], "V1");
  EXPECT_EQ(j["claims"][0]["verdict"], "agrees");
  EXPECT_EQ(j["claims"][1]["id"], "C1");
  EXPECT_TRUE(j["claims"][1]["z"].is_number());
  const auto bad = run_cli("reproduce --only C42 --out " + (dir / "x.h5").string());
  EXPECT_EQ(bad.exit_code, 2);
  const auto bad_config = run_cli("reproduce --config /no/such.toml --out " + (dir / "y.h5").string());
  EXPECT_EQ(bad_config.exit_code, 2);  // a missing config is bad input (docs/reliability.md, "Exit codes")
  fs::remove_all(dir);
}
