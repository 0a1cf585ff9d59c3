// A comma-separated option ("--B 2,4,8") bound to typed values when the command line is parsed
// (apps/cli_lists.hpp: a bad item is one sentence naming the option), with the text as typed
// kept for unit paths, stored parameters and the run identity.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "apps/cli_lists.hpp"

namespace batchrmt::app {

template <typename T>
struct ListOption {
  std::vector<T> values;
  std::string text;  // as typed; empty when the option was not given
  bool given() const { return !text.empty(); }
};

template <typename T>
CLI::Option* add_list(CLI::App* sub, const std::string& flag, ListOption<T>& list, const std::string& help) {
  return sub->add_option(flag, list.text, help)
      ->type_name(std::is_integral<T>::value ? "INT,..." : "FLOAT,...")
      ->each([flag, &list](const std::string& text) { list.values = parse_list<T>(flag, text); });
}

}  // namespace batchrmt::app
