// What the `batchrmt theory ...` subcommands share (apps/theory_cli.cpp): the readable number
// format and the fields a result reports both as JSON keys and as labelled text lines; and the
// batch subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "apps/command_registry.hpp"

namespace batchrmt::app::theory_cli {

using nlohmann::json;

std::string fmt(double v);                      // 10 significant digits
std::string fmt(const std::optional<double>& v);  // "none" when empty
json nullable(const std::optional<double>& v);

// One reported quantity: JSON key and value, text label and value.
struct Field {
  std::string key, label;
  json value;
  std::string text;
};
Field field(const std::string& key, const std::string& label, double v);
Field field(const std::string& key, const std::string& label, const std::optional<double>& v);
Field field(const std::string& key, const std::string& label, const std::string& v);

// Prints `j` with the fields' keys added (--json; a field with an empty key is text only), or
// the text: `title`, "  <label padded to width><text>" per field, then what `more` writes.
void emit_fields(const GlobalOptions& global, json j, const std::string& title, std::size_t width,
                 const std::vector<Field>& fields, const std::function<void(std::ostream&)>& more = {});

// The batch subcommands (apps/theory_commands_batch.cpp).
void batch_hessian_cmd(CLI::App* theory, GlobalOptions& global);
void ggn_cmd(CLI::App* theory, GlobalOptions& global);
void lr_cmd(CLI::App* theory, GlobalOptions& global);

}  // namespace batchrmt::app::theory_cli
