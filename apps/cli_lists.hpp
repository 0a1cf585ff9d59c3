// Comma-separated option values ("2,4,8") parsed with one-sentence errors naming the option.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
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

// A finite double or a decimal integer (T = std::int64_t), the whole of `item`; a list of them
// otherwise is refused naming `option` and the item.
template <typename T>
std::vector<T> parse_list(const std::string& option, const std::string& text) {
  constexpr bool integers = std::is_integral<T>::value;
  std::vector<T> out;
  for (const auto& item : split_commas(text)) {
    std::size_t used = 0;
    T v = 0;
    try {
      if constexpr (integers) v = static_cast<T>(std::stoll(item, &used));
      else v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || !std::isfinite(static_cast<double>(v)))
      throw InvalidInput(option + " has the value '" + item + "', but must be a comma-separated list of " +
                         (integers ? "integers." : "finite numbers."));
    out.push_back(v);
  }
  return out;
}

inline std::vector<double> parse_double_list(const std::string& option, const std::string& text) {
  return parse_list<double>(option, text);
}

inline std::vector<std::int64_t> parse_int_list(const std::string& option, const std::string& text) {
  return parse_list<std::int64_t>(option, text);
}

}  // namespace batchrmt::app
