// Provenance of a run: what made a stored number. Every HDF5 file carries it at its root.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace batchrmt {

struct Provenance {
  std::string batchrmt_version;
  std::string git_sha;      // captured at configure time; "-dirty" when the tree had changes
  std::string build_type;
  std::string compiler;
  std::string hostname;
  std::string created_utc;  // ISO 8601, e.g. 2026-11-26T18:40:00Z
  std::string command_line;
  std::uint64_t seed = 0;
  int threads = 1;
  std::map<std::string, std::string> libraries;  // name -> version (eigen, boost, hdf5, libtorch, ...)
};

// Version, SHA, build, compiler, host, time, command line, and the libraries core knows
// (Eigen, Boost, the C++ standard library). Other layers add theirs with `libraries[...]`.
Provenance collect_provenance(const std::vector<std::string>& argv, std::uint64_t seed, int threads);

std::string utc_now_iso8601();
std::string batchrmt_version();
std::string batchrmt_git_sha();

// Shell-quoted join of argv, so the stored command line can be pasted back into a shell.
std::string join_command_line(const std::vector<std::string>& argv);

}  // namespace batchrmt
