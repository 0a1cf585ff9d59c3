// The names of a closed set's values. One table per enum serves parse and to_string, so the two
// cannot disagree and a new value is named in one place. A table lists each value once under its
// canonical name (the one to_string gives and files store); aliases that parse accepts follow,
// after every canonical name:
//
//   inline constexpr EnumNames<Normalize, 3> kNormalizeNames{{
//       {Normalize::none, "none"}, {Normalize::per_channel, "per-channel"},
//       {Normalize::per_channel, "per_channel"}}};  // alias
//   Normalize parse_normalize(const std::string& s) { return parse_enum(kNormalizeNames, "normalize", s); }
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "core/errors.hpp"

namespace batchrmt {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

template <class E, std::size_t N>
using EnumNames = std::array<EnumName<E>, N>;

// The canonical name of `value` (the first entry naming it); "unknown" for a value the table lacks.
template <class E, std::size_t N>
const char* enum_name(const EnumNames<E, N>& names, E value) {
  for (const auto& n : names)
    if (n.value == value) return n.name;
  return "unknown";
}

// "a, b or c": the canonical names, for messages.
template <class E, std::size_t N>
std::string enum_choices(const EnumNames<E, N>& names) {
  std::string list, last;
  for (std::size_t i = 0; i < N; ++i) {
    if (enum_name(names, names[i].value) != names[i].name) continue;  // an alias
    if (!last.empty()) list += (list.empty() ? "" : ", ") + last;
    last = names[i].name;
  }
  return list.empty() ? last : list + " or " + last;
}

// The value named `text` (canonical name or alias). Otherwise InvalidInput:
// "<what> is '<text>', but must be a, b or c."
template <class E, std::size_t N>
E parse_enum(const EnumNames<E, N>& names, const std::string& what, const std::string& text) {
  for (const auto& n : names)
    if (text == n.name) return n.value;
  throw InvalidInput(what + " is '" + text + "', but must be " + enum_choices(names) + ".");
}

}  // namespace batchrmt
