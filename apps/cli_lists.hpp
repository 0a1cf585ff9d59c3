// Comma-separated option values ("2,4,8") parsed with one-sentence errors naming the option.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"

namespace batchrmt::app {

inline std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (char c : text) {
    if (c == ',') {
      out.push_back(item);
      item.clear();
    } else if (c != ' ') {
      item += c;
    }
  }
  out.push_back(item);
  return out;
}

inline std::vector<double> parse_double_list(const std::string& option, const std::string& text) {
  std::vector<double> out;
  for (const auto& item : split_commas(text)) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || !std::isfinite(v))
      throw InvalidInput(option + " has the value '" + item + "', but must be a comma-separated list of finite numbers.");
    out.push_back(v);
  }
  return out;
}

inline std::vector<std::int64_t> parse_int_list(const std::string& option, const std::string& text) {
  std::vector<std::int64_t> out;
  for (const auto& item : split_commas(text)) {
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size())
      throw InvalidInput(option + " has the value '" + item + "', but must be a comma-separated list of integers.");
    out.push_back(v);
  }
  return out;
}

}  // namespace batchrmt::app
