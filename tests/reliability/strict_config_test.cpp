// Configs are strict, and a bad config is exit 2 (docs/reliability.md).
#include "core/config.hpp"
#include "core/errors.hpp"
#include "tests/reliability/reliability_support.hpp"
#include "verify/config_keys.hpp"

namespace batchrmt::reliability {
namespace {

class StrictConfig : public Reliability {
 protected:
  // `reproduce --only V1` with the config file `config`, writing r.h5 in the test's folder.
  CliResult reproduce_v1(const std::string& config) {
    return run("reproduce --only V1 --no-plots --config " + config + " --out " + path("r.h5"));
  }
  // reproduce_v1 with a config file holding `toml`.
  CliResult reproduce_v1_with(const std::string& toml) {
    write_text(path("config.toml"), toml);
    return reproduce_v1(path("config.toml"));
  }
};

TEST_F(StrictConfig, AMisspeltKeyIsRefusedWithDidYouMean) {
  const auto r = reproduce_v1_with("[v1]\ntrails = 50\n");
  expect_refused_naming(r, {"v1.trails", "did you mean 'trials'"});
  EXPECT_FALSE(fs::exists(path("r.h5.partial")));
}

TEST_F(StrictConfig, AnUnknownTableIsRefused) {
  expect_refused_naming(reproduce_v1_with("[v1x]\nn = 50\n"), {"[v1x]", "did you mean 'v1'"});
}

TEST_F(StrictConfig, AWrongTypeIsRefused) {
  expect_refused_naming(reproduce_v1_with("[v1]\nn = \"many\"\n"), {"v1.n"});
}

TEST_F(StrictConfig, ADirectoryOrAMissingFileAsConfigIsBadInput) {
  const auto dir_run = reproduce_v1(dir.string());
  EXPECT_EQ(dir_run.exit_code, 2) << dir_run.err;
  const auto missing = reproduce_v1(path("none.toml"));
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_FALSE(fs::exists(path("r.h5")));
}

TEST_F(StrictConfig, AHugeSizeInAConfigIsBadInputNotOutOfMemory) {
  const auto r = reproduce_v1_with("[v1]\nn = 9223372036854775807\n");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_FALSE(contains(r.err, "out of memory")) << r.err;
}

// Every shipped configuration passes the key registry (so strictness breaks none of them).
TEST(StrictConfigFiles, EveryShippedConfigurationIsAccepted) {
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(BATCHRMT_SOURCE_DIR) / "configs")) {
    if (e.path().extension() != ".toml") continue;
    ++files;
    EXPECT_NO_THROW(verify::config_keys().check(Config::load(e.path().string()))) << e.path();
  }
  EXPECT_GE(files, 5);
}

TEST(StrictConfigFiles, SubTablesOfC5CasesAndNestedTablesAreChecked) {
  EXPECT_NO_THROW(verify::config_keys().check(Config::parse("[c5.mine]\nmodel = \"lenet\"\n", "t")));
  EXPECT_THROW(verify::config_keys().check(Config::parse("[c5.mine]\nmodle = \"lenet\"\n", "t")), InvalidInput);
  EXPECT_THROW(verify::config_keys().check(Config::parse("[c2.outliers]\nP = 3\n", "t")), InvalidInput);
  EXPECT_THROW(verify::config_keys().check(Config::parse("stray = 1\n", "t")), InvalidInput);
  try {
    verify::config_keys().check(Config::parse("[c2.outlierr]\nP = 3\n", "t"));
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_TRUE(contains(e.what(), "did you mean 'outlier'")) << e.what();
  }
}

}  // namespace
}  // namespace batchrmt::reliability
