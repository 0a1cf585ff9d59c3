// `batchrmt inspect FILE.h5`: tree, shapes, attributes and unit status of a result file.
#include <iostream>

#include "apps/command_registry.hpp"
#include "apps/runtime.hpp"
#include "outputs/inspect.hpp"

namespace {

void register_inspect(CLI::App& app, batchrmt::app::GlobalOptions& global) {
  auto* sub = app.add_subcommand("inspect", "Print the tree of a result file: groups, datasets (shape, type), "
                                            "attributes and the status of each unit of work");
  auto file = std::make_shared<std::string>();
  sub->add_option("file", *file, "Result file written by batchrmt (.h5 or .h5.partial)")->required();
  sub->callback([file, &global] {
    const nlohmann::json d = batchrmt::outputs::describe_file(*file);
    batchrmt::app::emit(global, d, [&](std::ostream& os) { os << batchrmt::outputs::render_description(d); });
  });
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(inspect, 10, register_inspect)
