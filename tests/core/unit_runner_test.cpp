// The resumable unit runner (core/unit_runner.hpp) in one process: complete units are read back,
// the others computed and saved in order, and a failure keeps the units saved before it.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "core/unit_runner.hpp"

using namespace batchrmt;

namespace {

struct MemoryUnits {
  std::map<std::size_t, int> saved;
  std::vector<std::string> log;
  int fail_at = -1;

  UnitSteps<int> steps() {
    UnitSteps<int> s;
    s.load = [this](std::size_t i) -> std::optional<int> {
      const auto it = saved.find(i);
      if (it == saved.end()) return std::nullopt;
      log.push_back("load " + std::to_string(i));
      return it->second;
    };
    s.compute = [this](std::size_t i) {
      if (static_cast<int>(i) == fail_at) throw std::runtime_error("unit failed");
      log.push_back("compute " + std::to_string(i));
      return static_cast<int>(10 * i);
    };
    s.save = [this](std::size_t i, const int& r) {
      log.push_back("save " + std::to_string(i));
      saved[i] = r;
    };
    return s;
  }
};

}  // namespace

TEST(UnitRunner, ReadsCompleteUnitsBackAndComputesTheOthersInOrder) {
  MemoryUnits m;
  m.saved[1] = 99;  // stored by an earlier run: not recomputed
  const auto r = run_units<int>(3, m.steps());
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(*r[0], 0);
  EXPECT_EQ(*r[1], 99);
  EXPECT_EQ(*r[2], 20);
  EXPECT_EQ(m.log, (std::vector<std::string>{"load 1", "compute 0", "save 0", "compute 2", "save 2"}));
}

TEST(UnitRunner, AFailureKeepsTheUnitsSavedBeforeItAndAResumeFinishes) {
  MemoryUnits m;
  m.fail_at = 2;
  EXPECT_THROW(run_units<int>(4, m.steps()), std::runtime_error);
  EXPECT_EQ(m.saved.size(), 2u);  // units 0 and 1
  m.fail_at = -1;
  m.log.clear();
  const auto r = run_units<int>(4, m.steps());
  EXPECT_EQ(m.log, (std::vector<std::string>{"load 0", "load 1", "compute 2", "save 2", "compute 3", "save 3"}));
  EXPECT_EQ(*r[3], 30);
}

TEST(UnitRunner, DealingInOneProcessComputesEveryUnitHere) {
  MemoryUnits m;
  const auto r = run_units<int>(2, m.steps(), &MpiContext::instance());  // one rank without mpirun
  EXPECT_EQ(*r[1], 10);
  EXPECT_EQ(m.saved.size(), 2u);
}
