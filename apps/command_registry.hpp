// Subcommands register themselves here, one file per layer (apps/<layer>_commands.cpp),
// so a subcommand that does not exist yet never appears in --help.
//
//   static void register_theory(CLI::App& app, batchrmt::app::GlobalOptions& global) {
//     auto* sub = app.add_subcommand("theory", "Analytic predictions");
//     ...
//   }
//   BATCHRMT_REGISTER_COMMAND(theory, 20, register_theory)
//
// `order` fixes the position in --help (10 inspect, 20 theory, 30 simulate, 40 train,
// 50 spectrum, 60 verify, 70 reproduce, 80 report, ...).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace batchrmt::app {

// Options every subcommand sees (given before or after the subcommand name).
struct GlobalOptions {
  bool json = false;          // --json: one machine-readable JSON object on stdout
  std::uint64_t seed = 0;     // --seed
  int threads = 1;            // --threads
  std::string out;            // --out FILE.h5 (empty: subcommand default or none)
  std::vector<std::string> argv;  // the full command line, for provenance
  const CLI::App* command = nullptr;  // the subcommand being run (apps/run_identity.hpp)
};

using Registrar = void (*)(CLI::App& app, GlobalOptions& global);

struct CommandRegistration {
  CommandRegistration(const char* name, int order, Registrar registrar);
};

// Calls every registrar in `order`, then name order.
void register_all_commands(CLI::App& app, GlobalOptions& global);

}  // namespace batchrmt::app

#define BATCHRMT_REGISTER_COMMAND(name, order, fn) \
  static const ::batchrmt::app::CommandRegistration batchrmt_command_registration_##name(#name, order, fn);
