// The run identity of a subcommand, built from its parsed options (core/run_identity.hpp):
// every option of the subcommand (given or at its default) except those that cannot change the
// numbers (--resume, --overwrite, --quiet, ...), plus --seed (and --threads where asked).
#pragma once

#include <set>
#include <string>

#include "apps/command_registry.hpp"
#include "core/run_identity.hpp"

namespace batchrmt::app {

struct IdentityOptions {
  bool threads = false;              // LibTorch's reductions depend on the thread count
  std::set<std::string> exclude;     // further options that do not change the numbers
  bool mpi_ranks = false;            // data-parallel sums over the MPI ranks change the rounding
};

// The subcommand that is running (global.command, set while parsing) and its options.
RunIdentity run_identity(const GlobalOptions& global, const IdentityOptions& options = {});

// Makes main's parser record the running subcommand in global.command (recursively).
void track_running_command(CLI::App& app, GlobalOptions& global);

using batchrmt::file_fingerprint;

}  // namespace batchrmt::app
