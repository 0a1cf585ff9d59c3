// Runs the built `batchrmt` binary (BATCHRMT_CLI) as a child process for CLI tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

namespace batchrmt::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Everything left to read from `stream`.
inline std::string read_all(FILE* stream) {
  std::string text;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), stream)) > 0) text.append(buf.data(), n);
  return text;
}

// Runs a shell command line with its stderr captured to a file; a child killed by signal s
// exits 128 + s.
inline CliResult run_command(const std::string& command_line) {
  static int counter = 0;
  const std::string err_file = "/tmp/batchrmt_cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string cmd = command_line + " 2>" + err_file;
  CliResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  r.out = read_all(pipe);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (FILE* f = std::fopen(err_file.c_str(), "r")) {
    r.err = read_all(f);
    std::fclose(f);
  }
  std::remove(err_file.c_str());
  return r;
}

// `args` is appended to the binary path verbatim (shell syntax).
inline CliResult run_cli(const std::string& args) { return run_command(std::string(BATCHRMT_CLI) + " " + args); }

inline int count_lines(const std::string& s) {
  int lines = 0;
  for (char c : s) lines += (c == '\n');
  return lines;
}

}  // namespace batchrmt::testing
