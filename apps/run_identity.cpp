#include "apps/run_identity.hpp"

namespace batchrmt::app {

namespace {

// Options that choose what to do with the output or how to show progress, never the numbers.
const std::set<std::string>& never_identity() {
  static const std::set<std::string> names{"--help", "--resume", "--overwrite", "--quiet", "--json", "--out",
                                           "--dry-run", "--stop-after", "--checkpoint-dir", "--cache-dir",
                                           "--no-plots", "--max-memory"};
  return names;
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a && a->get_parent(); a = a->get_parent())
    path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

}  // namespace

RunIdentity run_identity(const GlobalOptions& global, const IdentityOptions& options) {
  const CLI::App* sub = global.command;
  RunIdentity id(sub ? command_path(sub) : std::string("batchrmt"));
  id.set("--seed", static_cast<std::uint64_t>(global.seed));
  if (options.threads) id.set("--threads", global.threads);
  if (!sub) return id;
  for (const CLI::Option* opt : sub->get_options()) {
    const std::string name = opt->get_name();
    if (name.empty() || never_identity().count(name) || options.exclude.count(name)) continue;
    std::string value;
    if (opt->get_expected_max() == 0) {  // a flag
      value = opt->count() > 0 ? "true" : "false";
    } else if (opt->count() > 0) {
      for (const auto& r : opt->results()) value += (value.empty() ? "" : ",") + r;
      value = canonical_option_value(value);
    } else {
      value = canonical_option_value(opt->get_default_str());
    }
    id.set(name, value);
  }
  return id;
}

void track_running_command(CLI::App& app, GlobalOptions& global) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->preparse_callback([sub, &global](std::size_t) { global.command = sub; });
    track_running_command(*sub, global);
  }
}

}  // namespace batchrmt::app
