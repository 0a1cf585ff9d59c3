// core/config: TOML configurations read as typed values, with what was used recorded.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/config.hpp"
#include "core/errors.hpp"

namespace {

using batchrmt::Config;
using batchrmt::InvalidInput;

TEST(ConfigFile, ReadsDottedKeysRecordsWhatWasUsedAndRefusesBadValues) {
  const Config c = Config::parse("[a]\nx = 3\ny = [1, 2]\n[a.b]\nz = \"hi\"\n", "t.toml");
  EXPECT_EQ(c.integer("a.x", 0), 3);
  EXPECT_EQ(c.integers("a.y", {}), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(c.text("a.b.z", ""), "hi");
  EXPECT_EQ(c.number("a.missing", 1.5), 1.5);
  EXPECT_EQ(c.resolved()["a"]["missing"], 1.5);
  EXPECT_THROW(c.integer("a.b.z", 0), InvalidInput);
  EXPECT_THROW(Config::parse("[a\nx=1", "bad.toml"), InvalidInput);
  EXPECT_THROW(Config::load("/no/such/file.toml"), InvalidInput);
}

// An array of integers holds integers only: a float element is refused, never cast (1.5 would
// become 1; a float beyond the int64 range was undefined behaviour, found by fuzz_toml).
TEST(ConfigFile, AnArrayOfIntegersRefusesFloatElements) {
  const Config c = Config::parse("a = [4599_9998_99999_99444444.51]\nb = [1, 1.5]\nd = [2, 3]\n", "t.toml");
  try {
    (void)c.integers("a", {});
    ADD_FAILURE() << "a float beyond the int64 range was accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("position 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)c.integers("b", {}), InvalidInput);
  EXPECT_EQ(c.integers("d", {}), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(c.numbers("b", {}), (std::vector<double>{1.0, 1.5}));
}

}  // namespace
