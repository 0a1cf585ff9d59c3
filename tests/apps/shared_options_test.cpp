// The option groups that sibling subcommands share (apps/pool_options.hpp, apps/simulate_cli.hpp,
// apps/theory_cli.hpp, apps/list_options.hpp): the same bad value is refused by each sibling
// with the same one sentence naming the flag and the value (exit 2), and list flags are typed
// when the command line is parsed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/apps/cli_support.hpp"

using batchrmt::testing::count_lines;
using batchrmt::testing::run_cli;

namespace {

// Every command is refused with exit 2 and one and the same sentence, which names every piece
// of `named`.
void expect_same_refusal(const std::vector<std::string>& commands, const std::vector<std::string>& named) {
  std::string first;
  for (const auto& args : commands) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << args << "\n" << r.err;
    for (const auto& piece : named) EXPECT_NE(r.err.find(piece), std::string::npos) << args << "\n" << r.err;
    if (first.empty()) first = r.err;
    EXPECT_EQ(r.err, first) << args;
  }
}

}  // namespace

TEST(SharedOptions, BatchSiblingsRefuseABatchLargerThanThePoolAlike) {
  expect_same_refusal({"theory batch-hessian --lambda 5 --P 400 --s2 1 --N 10 --B 2,11",
                       "theory ggn --ell 5 --sigma2 1 --P 400 --c-eff 9 --N 10 --B 2,11",
                       "theory lr --lambda 5 --noise-power 400 --N 10 --B 2,11",
                       "simulate batch-hessian --P 10 --N 10 --B 2,11 --trials 2"},
                      {"--B", "11", "N = 10"});
  expect_same_refusal({"theory batch-hessian --lambda 5 --P 400 --s2 1 --N 0 --B 0",
                       "theory lr --lambda 5 --noise-power 400 --N 0 --B 0"},
                      {"--B", "0", "at least 1"});
  expect_same_refusal({"theory ggn --ell 5 --sigma2 1 --P 400 --c-eff 9 --N -1 --B 1",
                       "theory lr --lambda 5 --noise-power 400 --N -1 --B 1"},
                      {"--N", "-1", "at least 0"});
}

TEST(SharedOptions, DysonIndexSiblingsRefuseTheSameBeta) {
  expect_same_refusal({"theory spiked-wigner --theta 2 --sigma 1 --beta 3",
                       "theory spiked-covariance --ell 2 --gamma 0.5 --beta 3", "theory tracy-widom --beta 3"},
                      {"--beta", "3", "1, 2"});
  expect_same_refusal({"simulate spiked-wigner --n 20 --trials 2 --beta 2",
                       "simulate spiked-covariance --p 10 --n 20 --ell 2 --trials 2 --beta 2"},
                      {"--beta", "2", "dense"});
}

TEST(SharedOptions, SimulateSiblingsShareTrialsAndEntries) {
  expect_same_refusal({"simulate spiked-wigner --n 20 --trials 0", "simulate spiked-covariance --p 10 --n 20 --ell 2 --trials 0"},
                      {"--trials", "0", "at least 1"});
  expect_same_refusal({"simulate spiked-wigner --n 20 --trials 2 --entries cauchy",
                       "simulate variance-profile --block-sizes 2,2 --block-variances 1,0,0,1 --trials 2 --entries cauchy"},
                      {"--entries", "cauchy", "gaussian"});
  // The block profile group: the same sentence under each subcommand's own flag names.
  expect_same_refusal({"simulate variance-profile --block-sizes 2,0 --block-variances 1,0,0,1 --trials 2"},
                      {"--block-sizes has the value 0, but block sizes must be at least 1."});
  expect_same_refusal({"simulate batch-hessian --P 4 --N 10 --B 2 --trials 2 --profile-sizes 2,0 --profile-variances 1,0,0,1"},
                      {"--profile-sizes has the value 0, but block sizes must be at least 1."});
}

TEST(SharedOptions, ListFlagsAreTypedWhenParsed) {
  // Integers are decimal ("016" is sixteen), doubles keep their sign and exponent.
  const auto r = run_cli("--json theory batch-hessian --lambda 5,-3,1e0 --P 400 --s2 1 --N 0 --B 1,016,64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["lambda"], nlohmann::json({5.0, -3.0, 1.0}));
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(j["rows"][1]["B"], 16);
  for (const auto& [args, flag, item] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"theory lr --lambda 5 --noise-power 400 --N 0 --B 4,1.5", "--B", "'1.5'"},
           {"theory tracy-widom --beta 2 --cdf 1,,2", "--cdf", "''"},
           {"simulate batch-hessian --P 4 --N 10 --B 2 --spikes 3,inf --trials 2", "--spikes", "'inf'"}}) {
    const auto bad = run_cli(args);
    EXPECT_EQ(bad.exit_code, 2) << args;
    EXPECT_EQ(count_lines(bad.err), 1) << bad.err;
    EXPECT_NE(bad.err.find(flag + " has the value " + item), std::string::npos) << bad.err;
  }
}

TEST(SharedOptions, ANonNumberIsOneSentenceNamingTheFlagOnce) {
  const auto r = run_cli("theory spiked-wigner --theta abc --sigma 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--theta is abc, but must be a number."), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("--theta:"), std::string::npos) << r.err;
}
