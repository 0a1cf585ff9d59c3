// Support for tests/reliability: each test replays one case of docs/reliability.md through the CLI.
// The binary under test is BATCHRMT_CLI, or $BATCHRMT_CLI_UNDER_TEST when set (to replay the
// cases against another build, e.g. main's, and see them fail there).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>

#include "tests/apps/cli_support.hpp"

namespace batchrmt::reliability {

namespace fs = std::filesystem;

using batchrmt::testing::CliResult;

inline std::string cli_path() {
  if (const char* p = std::getenv("BATCHRMT_CLI_UNDER_TEST"); p && *p) return p;
  return BATCHRMT_CLI;
}

// Runs `batchrmt args` under `timeout` (a hang is exit 124, a failure like any other);
// `prefix` goes before the command (e.g. "cd DIR &&" or "VAR=1").
inline CliResult run(const std::string& args, int timeout_s = 300, const std::string& prefix = "") {
  return batchrmt::testing::run_command(prefix + " timeout -s KILL " + std::to_string(timeout_s) + " " + cli_path() + " " +
                                        args);
}

// Runs a shell command line; its stdout without the trailing newline.
inline std::string run_shell(const std::string& cmd) {
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return "";
  std::string out = batchrmt::testing::read_all(pipe);
  ::pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

inline int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += (c == '\n');
  return n;
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A refused run: exit 2 (bad input), its stderr naming each of `parts`.
inline void expect_refused_naming(const CliResult& r, std::initializer_list<std::string> parts) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  for (const auto& part : parts) EXPECT_TRUE(contains(r.err, part)) << "'" << part << "' not in: " << r.err;
}

inline std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline void write_text(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// A small finished simulate result (spiked Wigner, n = 20) at `out`.
inline void make_result(const std::string& out, int trials = 2, const std::string& extra = "") {
  const auto r = run("simulate spiked-wigner --n 20 --trials " + std::to_string(trials) + " --json --out " + out + " " + extra);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// A fresh folder per test, removed afterwards.
class Reliability : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() / ("batchrmt-rel-" + std::string(info->test_suite_name()) + "-" + info->name() + "-" +
                                       std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  // make_result at `name` in this folder (2 trials); its path.
  std::string finished_result(const std::string& name) const {
    make_result(path(name), 2);
    return path(name);
  }
  fs::path dir;
};

}  // namespace batchrmt::reliability
