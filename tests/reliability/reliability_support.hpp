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
#include <iterator>
#include <string>

namespace batchrmt::reliability {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string cli_path() {
  if (const char* p = std::getenv("BATCHRMT_CLI_UNDER_TEST"); p && *p) return p;
  return BATCHRMT_CLI;
}

// Runs `batchrmt args` under `timeout` (a hang is exit 124, a failure like any other);
// `prefix` goes before the command (e.g. "cd DIR &&" or "VAR=1").
inline CliResult run(const std::string& args, int timeout_s = 300, const std::string& prefix = "") {
  static int counter = 0;
  const std::string err_file = "/tmp/batchrmt_rel_err_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string cmd = prefix + " timeout -s KILL " + std::to_string(timeout_s) + " " + cli_path() + " " + args + " 2>" + err_file;
  CliResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream f(err_file);
  r.err.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  std::remove(err_file.c_str());
  return r;
}

// Runs a shell command line; its stdout without the trailing newline.
inline std::string run_shell(const std::string& cmd) {
  std::string out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return out;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
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

inline std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline void write_text(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

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
  fs::path dir;
};

// A small finished simulate result (spiked Wigner, n = 20) at `out`.
inline void make_result(const std::string& out, int trials = 2, const std::string& extra = "") {
  const auto r = run("simulate spiked-wigner --n 20 --trials " + std::to_string(trials) + " --json --out " + out + " " + extra);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace batchrmt::reliability
