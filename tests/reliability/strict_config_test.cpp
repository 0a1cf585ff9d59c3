// Configs are strict, and a bad config is exit 2 (docs/reliability.md).
#include "core/config.hpp"
#include "core/errors.hpp"
#include "tests/reliability/reliability_support.hpp"
#include "verify/config_keys.hpp"

namespace batchrmt::reliability {
namespace {

using StrictConfig = Reliability;

TEST_F(StrictConfig, AMisspeltKeyIsRefusedWithDidYouMean) {
  const std::string toml = path("typo.toml");
  write_text(toml, "[v1]\ntrails = 50\n");
  const auto r = run("reproduce --only V1 --no-plots --config " + toml + " --out " + path("r.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "v1.trails")) << r.err;
  EXPECT_TRUE(contains(r.err, "did you mean 'trials'")) << r.err;
  EXPECT_FALSE(fs::exists(path("r.h5.partial")));
}

TEST_F(StrictConfig, AnUnknownTableIsRefused) {
  const std::string toml = path("table.toml");
  write_text(toml, "[v1x]\nn = 50\n");
  const auto r = run("reproduce --only V1 --no-plots --config " + toml + " --out " + path("r.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "[v1x]")) << r.err;
  EXPECT_TRUE(contains(r.err, "did you mean 'v1'")) << r.err;
}

TEST_F(StrictConfig, AWrongTypeIsRefused) {
  const std::string toml = path("type.toml");
  write_text(toml, "[v1]\nn = \"many\"\n");
  const auto r = run("reproduce --only V1 --no-plots --config " + toml + " --out " + path("r.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "v1.n")) << r.err;
}

TEST_F(StrictConfig, ADirectoryOrAMissingFileAsConfigIsBadInput) {
  const auto dir_run = run("reproduce --only V1 --no-plots --config " + dir.string() + " --out " + path("r.h5"));
  EXPECT_EQ(dir_run.exit_code, 2) << dir_run.err;
  const auto missing = run("reproduce --only V1 --no-plots --config " + path("none.toml") + " --out " + path("r.h5"));
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_FALSE(fs::exists(path("r.h5")));
}

TEST_F(StrictConfig, AHugeSizeInAConfigIsBadInputNotOutOfMemory) {
  const std::string toml = path("huge.toml");
  write_text(toml, "[v1]\nn = 9223372036854775807\n");
  const auto r = run("reproduce --only V1 --no-plots --config " + toml + " --out " + path("r.h5"));
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
