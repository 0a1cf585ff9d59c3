// batchrmt: the one command-line interface. Subcommands register themselves from
// apps/<layer>_commands.cpp (see command_registry.hpp).
//
// Exit codes: 0 success; 2 bad usage or bad input (one sentence naming the value and what
// is allowed); 1 a failure at run time (numerical, I/O, out of memory).
#include <CLI/CLI.hpp>
#include <iostream>
#include <new>
#include <set>
#include <nlohmann/json.hpp>

#include "apps/command_registry.hpp"
#include "apps/number_checks.hpp"
#include "apps/run_identity.hpp"
#include "core/errors.hpp"
#include "core/mpi_context.hpp"
#include "core/provenance.hpp"
#include "core/system.hpp"

namespace {

// --json anywhere on the command line (also when parsing failed before reaching it).
bool json_requested = false;

void print_error(const std::string& message, int code) {
  std::string m = message;
  if (!m.empty() && m.back() != '.') m += '.';
  std::string where;
  try {
    const auto& mpi = batchrmt::MpiContext::instance();
    if (mpi.active()) where = " (MPI rank " + std::to_string(mpi.rank()) + ")";
  } catch (const batchrmt::Error&) {  // mpirun without MPI support: already the message
  }
  std::cerr << "batchrmt: error" << where << ": " << m << std::endl;
  if (json_requested) std::cout << nlohmann::json{{"error", m}, {"exit_code", code}}.dump() << std::endl;
}

// ", most likely from <what> (estimated 12.0 GiB)": the largest size the run estimated up front
// (core/system's memory budget), or "" when it estimated none.
std::string memory_culprit() {
  const std::string largest = batchrmt::largest_memory_estimate();
  return largest.empty() ? std::string() : ", most likely from " + largest;
}

// Under mpirun a failing rank ends them all (the others may wait in a collective it will not
// reach); mpirun then exits with `code`.
int fail(int code) {
  try {
    batchrmt::MpiContext::instance().abort(code);
  } catch (const batchrmt::Error&) {
  }
  return code;
}

// Under mpirun with several ranks only the subcommands that share their work out over the
// ranks may run; any other would run once per rank and every rank would write the same file.
void check_mpi_support(CLI::App& app, int argc, char** argv) {
  static const std::set<std::string> spread = {"simulate", "spectrum", "reproduce"};
  std::string command;
  for (int i = 1; i < argc && command.empty(); ++i)
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
      if (sub->get_name() == argv[i]) command = argv[i];
  if (command.empty() || spread.count(command)) return;
  const auto& mpi = batchrmt::MpiContext::instance();
  if (mpi.active())
    throw batchrmt::InvalidInput("'" + command + "' was started by mpirun with " + std::to_string(mpi.size()) +
                                 " ranks, but only simulate, spectrum and reproduce spread over MPI ranks; run it without mpirun.");
}

}  // namespace

int main(int argc, char** argv) {
  using batchrmt::app::GlobalOptions;
  GlobalOptions global;
  global.argv.assign(argv, argv + argc);
  for (int i = 1; i < argc; ++i) json_requested = json_requested || std::string(argv[i]) == "--json";

  CLI::App app{
      "batchrmt: spiked, field-dependent random matrix theory of mini-batch Hessians — predict, simulate, "
      "measure and verify (Granziol, Zohren & Roberts, JMLR 2022)."};
  app.name("batchrmt");
  app.fallthrough();  // global options may follow the subcommand: `batchrmt theory ... --json`
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the version and git SHA and exit");
  app.add_flag("--json", global.json, "Machine-readable output: one JSON object on stdout");
  app.add_option("--seed", global.seed, "Master seed of every random stream (recorded in results)")
      ->capture_default_str();
  app.add_option("--threads", global.threads, "Threads for LibTorch and parallel work (recorded in results)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  std::string max_memory;
  app.add_option("--max-memory", max_memory, "Refuse runs whose estimated memory exceeds this (e.g. 4G; default 80 % of the machine's)")
      ->each([](const std::string& v) { batchrmt::set_memory_limit(batchrmt::parse_byte_size("--max-memory", v)); });
  app.add_option("--out", global.out, "Result file (.h5); written as FILE.h5.partial and renamed on success");
  app.require_subcommand(0, 1);
  batchrmt::app::register_all_commands(app, global);
  batchrmt::app::track_running_command(app, global);
  batchrmt::app::add_strict_number_checks(app);

  try {
    check_mpi_support(app, argc, argv);
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(std::string(e.what()) + "; run 'batchrmt --help' for the allowed options", 2);
    return 2;
  } catch (const batchrmt::Error& e) {
    print_error(e.what(), e.exit_code());
    return fail(e.exit_code());
  } catch (const std::bad_alloc&) {
    print_error("out of memory" + memory_culprit() + "; reduce the problem size or free memory and rerun", 1);
    return fail(1);
  } catch (const std::exception& e) {
    // A library's exception (LibTorch's carry a stack trace): its first line, one sentence.
    std::string m = e.what();
    m = m.substr(0, m.find('\n'));
    if (m.find("not enough memory") != std::string::npos || m.find("out of memory") != std::string::npos)
      m = "out of memory (" + m + ")" + memory_culprit() + "; reduce the problem size or set a --max-memory the run can check against";
    print_error(m, 1);
    return fail(1);
  }

  if (show_version) {
    if (global.json) {
      std::cout << nlohmann::json{{"version", batchrmt::batchrmt_version()}, {"git_sha", batchrmt::batchrmt_git_sha()}}
                       .dump()
                << std::endl;
    } else {
      std::cout << "batchrmt " << batchrmt::batchrmt_version() << " (git " << batchrmt::batchrmt_git_sha() << ")"
                << std::endl;
    }
    return 0;
  }
  if (app.get_subcommands().empty()) {
    std::cerr << app.help() << std::endl;
    print_error("no subcommand was given; choose one of those listed above", 2);
    return 2;
  }
  return 0;
}
