// Helpers of the outputs tests: a scratch folder per test and small committed result files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/provenance.hpp"
#include "core/run_identity.hpp"
#include "outputs/store.hpp"

namespace batchrmt::testing {

inline Provenance test_provenance() { return collect_provenance({"batchrmt", "test"}, 99, 1); }

// A fresh folder named after the running test, removed after it.
class OutputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("batchrmt_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static Provenance provenance() { return test_provenance(); }
  std::filesystem::path dir_;
};

// Commits `path` holding the units `units`, each complete and empty.
inline void write_finished_result(const std::string& path, const std::vector<std::string>& units,
                                  const RunIdentity& identity = RunIdentity()) {
  outputs::Store s = outputs::Store::open(path, test_provenance(), outputs::OpenMode::fresh, identity);
  for (const auto& unit : units) s.complete_unit(s.begin_unit(unit));
  s.commit();
}

// Commits a fresh result file at `path` after `fill(store)` has written into it; its path.
template <class Fill>
std::string write_result(const std::string& path, Fill fill) {
  outputs::Store s = outputs::Store::open(path, test_provenance(), outputs::OpenMode::fresh);
  fill(s);
  s.commit();
  return path;
}

}  // namespace batchrmt::testing
