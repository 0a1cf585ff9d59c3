// One subcommand whose options bind the fields of an Args struct: `bind` describes it and adds
// the options (typed, with their checks); once the command line is parsed `run` gets the Args.
//   add_command<HeavyBallArgs>(theory, global, "heavy-ball", bind_heavy_ball, run_heavy_ball);
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "apps/command_registry.hpp"

namespace batchrmt::app {

template <typename Args>
CLI::App* add_command(CLI::App* parent, GlobalOptions& global, const std::string& name, void (*bind)(CLI::App*, Args&), void (*run)(const GlobalOptions&, const Args&)) {
  auto args = std::make_shared<Args>();
  auto* sub = parent->add_subcommand(name);
  bind(sub, *args);
  sub->callback([args, run, &global] { run(global, *args); });
  return sub;
}

}  // namespace batchrmt::app
