// Runs the built `batchrmt` binary (BATCHRMT_CLI) as a child process for CLI tests.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace batchrmt::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// `args` is appended to the binary path verbatim (shell syntax); stderr is captured to a file.
inline CliResult run_cli(const std::string& args) {
  static int counter = 0;
  const std::string err_file = "/tmp/batchrmt_cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string cmd = std::string(BATCHRMT_CLI) + " " + args + " 2>" + err_file;
  CliResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (FILE* f = std::fopen(err_file.c_str(), "r")) {
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) r.err.append(buf.data(), n);
    std::fclose(f);
  }
  std::remove(err_file.c_str());
  return r;
}

inline int count_lines(const std::string& s) {
  int lines = 0;
  for (char c : s) lines += (c == '\n');
  return lines;
}

}  // namespace batchrmt::testing
