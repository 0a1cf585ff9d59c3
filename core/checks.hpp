// Named argument checks in the style of Stan Math: check_xxx(function, name, value)
// throws InvalidInput with one sentence naming the function, the argument, its value
// and the constraint it violates, e.g.
//   "kappa_factor: B is 0, but must be at least 1."
#pragma once

#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#include "core/errors.hpp"

namespace batchrmt {

namespace detail {
template <typename T>
std::string format_value(const T& v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}
[[noreturn]] inline void fail_check(const char* function, const char* name,
                                    const std::string& value, const std::string& constraint) {
  throw InvalidInput(std::string(function) + ": " + name + " is " + value + ", but " + constraint + ".");
}
}  // namespace detail

template <typename T>
void check_finite(const char* function, const char* name, T value) {
  if (!std::isfinite(static_cast<double>(value)))
    detail::fail_check(function, name, detail::format_value(value), "must be finite");
}

template <typename T>
void check_positive(const char* function, const char* name, T value) {
  if (!(value > 0) || !std::isfinite(static_cast<double>(value)))
    detail::fail_check(function, name, detail::format_value(value), "must be positive and finite");
}

template <typename T>
void check_nonnegative(const char* function, const char* name, T value) {
  if (!(value >= 0) || !std::isfinite(static_cast<double>(value)))
    detail::fail_check(function, name, detail::format_value(value), "must be non-negative and finite");
}

template <typename T>
void check_at_least(const char* function, const char* name, T value, T low) {
  if (!(value >= low))
    detail::fail_check(function, name, detail::format_value(value),
                       "must be at least " + detail::format_value(low));
}

template <typename T>
void check_at_most(const char* function, const char* name, T value, T high) {
  if (!(value <= high))
    detail::fail_check(function, name, detail::format_value(value),
                       "must be at most " + detail::format_value(high));
}

// Closed interval [low, high].
template <typename T>
void check_bounded(const char* function, const char* name, T value, T low, T high) {
  if (!(value >= low && value <= high))
    detail::fail_check(function, name, detail::format_value(value),
                       "must lie in [" + detail::format_value(low) + ", " + detail::format_value(high) + "]");
}

template <typename T>
void check_one_of(const char* function, const char* name, const T& value, const std::vector<T>& allowed) {
  for (const auto& a : allowed)
    if (a == value) return;
  std::string list;
  for (std::size_t i = 0; i < allowed.size(); ++i)
    list += (i ? ", " : "") + detail::format_value(allowed[i]);
  detail::fail_check(function, name, detail::format_value(value), "must be one of " + list);
}

inline void check_size_match(const char* function, const char* name, std::size_t size,
                             const char* other_name, std::size_t other_size) {
  if (size != other_size)
    throw InvalidInput(std::string(function) + ": " + name + " has size " + std::to_string(size) +
                       ", but must have the size of " + other_name + " (" + std::to_string(other_size) + ").");
}

}  // namespace batchrmt
