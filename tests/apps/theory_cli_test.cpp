// `batchrmt theory ...` run as a child process: exit codes and the exact JSON keys of each subcommand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/wait.h>

namespace {
struct CliRun {
  int code = -1;
  std::string out;
};
CliRun run(const std::string& args) {
  CliRun r;
  const std::string cmd = std::string(BATCHRMT_CLI) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}
nlohmann::json run_json(const std::string& args) {
  const CliRun r = run(args);
  EXPECT_EQ(r.code, 0) << args;
  return nlohmann::json::parse(r.out);
}
}  // namespace

TEST(TheoryCli, SpikedWigner) {
  auto j = run_json("theory spiked-wigner --theta 2 --sigma 1 --n 1000 --json");
  for (const char* k : {"outlier", "threshold", "edge", "overlap", "regime", "outlier_sd"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_DOUBLE_EQ(j["outlier"].get<double>(), 2.5);
  EXPECT_EQ(j["regime"], "outlier");
  j = run_json("--json theory spiked-wigner --theta 0.5 --sigma 1");  // --json before the subcommand
  EXPECT_TRUE(j["outlier"].is_null());
  EXPECT_FALSE(j.contains("outlier_sd"));
}

TEST(TheoryCli, SpikedCovariance) {
  auto j = run_json("theory spiked-covariance --ell 40 --gamma 800 --json");
  for (const char* k : {"outlier", "threshold", "edge", "overlap", "regime"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_NEAR(j["outlier"].get<double>(), 860.5128205128205, 1e-9);
}

TEST(TheoryCli, BatchHessianRows) {
  auto j = run_json("theory batch-hessian --lambda 5 --P 400 --s2 1 --N 0 --B 1,16,64 --json");
  ASSERT_EQ(j["rows"].size(), 3u);
  for (const auto& r : j["rows"])
    for (const char* k : {"B", "kappa", "top", "bottom", "regime", "lr_max_sgd"}) EXPECT_TRUE(r.contains(k)) << k;
  EXPECT_DOUBLE_EQ(j["rows"][0]["top"].get<double>(), 40.0);
  EXPECT_EQ(j["rows"][2]["regime"], "outlier");
}

TEST(TheoryCli, QveAndTracyWidomAndRules) {
  auto j = run_json(
      "theory qve --block-sizes 0.25,0.75 --block-variances 3,1,1,0.5 --theta 2 --spike-weights 0.25,0.75 --json");
  for (const char* k : {"edge_upper", "edge_lower", "outlier", "iterations"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_NEAR(j["edge_upper"].get<double>(), 2.17997933815642, 1e-12);
  EXPECT_NEAR(j["outlier"].get<double>(), 2.46735629323106, 1e-11);
  EXPECT_TRUE(j["iterations"].is_number_integer());
  j = run_json("theory qve --block-sizes 0.25,0.75 --block-variances 3,1,1,0.5 --json");
  EXPECT_TRUE(j["outlier"].is_null());
  j = run_json("theory tracy-widom --beta 2 --json");
  EXPECT_NEAR(j["mean"].get<double>(), -1.771086807411, 1e-9);
  EXPECT_NEAR(j["variance"].get<double>(), 0.8131947928329, 1e-9);
  for (const char* k : {"0.01", "0.05", "0.5", "0.95", "0.99"}) EXPECT_TRUE(j["quantiles"].contains(k)) << k;
  EXPECT_NEAR(j["quantiles"]["0.5"].get<double>(), -1.8049, 1e-4);
  j = run_json("theory heavy-ball --lambda-max 100 --lambda-min 1 --json");
  EXPECT_NEAR(j["momentum"].get<double>(), 81.0 / 121.0, 1e-15);
  j = run_json("theory lr --lambda 5 --noise-power 400 --N 0 --B 1,1024 --json");
  EXPECT_EQ(j["rows"][0]["regime"], "edge");
  EXPECT_EQ(j["rows"][1]["regime"], "saturating");
}

TEST(TheoryCli, BadInputExitsWithTwo) {
  for (const char* args : {
           "theory batch-hessian --lambda 5 --P 400 --s2 -1 --N 10 --B 1",    // negative variance
           "theory batch-hessian --lambda 5 --P 400 --s2 1 --N 10 --B 11",    // B > N
           "theory batch-hessian --lambda 5 --P 400 --s2 1 --N 10 --B 0",     // B < 1
           "theory qve --block-sizes 1,1 --block-variances 1,2,3,4",           // not symmetric
           "theory qve --block-sizes 1,1 --block-variances 1,2,2",             // wrong size
           "theory qve --block-sizes 1,1 --block-variances 1,2,2,1 --theta 3 --spike-weights 0.5,0.6",
           "theory spiked-wigner --theta abc --sigma 1",                       // non-numeric
           "theory tracy-widom --beta 3",
       }) {
    const CliRun r = run(args);
    EXPECT_EQ(r.code, 2) << args;
  }
}

TEST(TheoryCli, BadListsGiveOneSentenceNamingTheOption) {
  // comma lists go through apps/cli_lists.hpp: exit 2, one sentence on stderr naming the option
  struct Case {
    const char* args;
    const char* option;
  };
  for (const Case& c : {Case{"theory batch-hessian --lambda 5 --P 400 --s2 1 --N 10 --B 2,x", "--B"},
                        Case{"theory batch-hessian --lambda 5 --P 400 --s2 1 --N 10 --B 2.5", "--B"},
                        Case{"theory batch-hessian --lambda 5,,3 --P 400 --s2 1 --N 10 --B 2", "--lambda"},
                        Case{"theory qve --block-sizes 1,1, --block-variances 1,2,2,1", "--block-sizes"},
                        Case{"theory tracy-widom --beta 2 --cdf 0,nan", "--cdf"}}) {
    const std::string cmd = std::string(BATCHRMT_CLI) + " " + c.args + " 2>&1 >/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string err;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) err.append(buf, n);
    const int st = pclose(p);
    EXPECT_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 2) << c.args;
    EXPECT_NE(err.find(c.option), std::string::npos) << err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 0) << err;
    ASSERT_FALSE(err.empty());
    EXPECT_EQ(err.back(), '.') << err;
  }
}
