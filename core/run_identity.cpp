#include "core/run_identity.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"

namespace batchrmt {

namespace {

// Shortest decimal text that reads back as the same double.
std::string shortest(double x) {
  char buf[64];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

std::string canonical_scalar(const std::string& s) {
  if (s.empty()) return s;
  // Integer literal: optional sign, digits only.
  std::size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  bool digits = i < s.size();
  for (std::size_t k = i; k < s.size(); ++k) digits = digits && (s[k] >= '0' && s[k] <= '9');
  if (digits) {
    std::size_t first = i;
    while (first + 1 < s.size() && s[first] == '0') ++first;
    const std::string mag = s.substr(first);
    return (s[0] == '-' && mag != "0") ? "-" + mag : mag;
  }
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(s.c_str(), &end);
  if (end != s.c_str() && *end == '\0' && errno == 0) return shortest(x);
  return s;
}

}  // namespace

std::string canonical_option_value(const std::string& text) {
  if (text.find(',') == std::string::npos) return canonical_scalar(text);
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    out += canonical_scalar(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    out += ',';
    start = comma + 1;
  }
  return out;
}

RunIdentity& RunIdentity::set(const std::string& name, const std::string& value) {
  entries_[name] = value;
  return *this;
}
RunIdentity& RunIdentity::set(const std::string& name, std::int64_t value) { return set(name, std::to_string(value)); }
RunIdentity& RunIdentity::set(const std::string& name, std::uint64_t value) { return set(name, std::to_string(value)); }
RunIdentity& RunIdentity::set(const std::string& name, double value) { return set(name, shortest(value)); }
RunIdentity& RunIdentity::set_flag(const std::string& name, bool value) {
  return set(name, std::string(value ? "true" : "false"));
}

std::string RunIdentity::canonical() const {
  nlohmann::json j = nlohmann::json::object();  // std::map keys: sorted
  for (const auto& [k, v] : entries_) j[k] = v;
  return j.dump();
}

std::string RunIdentity::fingerprint() const {
  // FNV-1a, 64 bit (Fowler, Noll & Vo; http://www.isthe.com/chongo/tech/comp/fnv/).
  std::uint64_t h = 14695981039346656037ULL;
  const std::string text = command_ + '\n' + canonical();
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

RunIdentity RunIdentity::from_stored(const std::string& command, const std::string& canonical_json) {
  RunIdentity id(command);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(canonical_json);
  } catch (const nlohmann::json::exception&) {
    throw InvalidInput("the stored run_identity is not valid JSON, so the file was not written by this batchrmt.");
  }
  if (!j.is_object()) throw InvalidInput("the stored run_identity is not a JSON object, so the file was not written by this batchrmt.");
  for (const auto& [k, v] : j.items()) id.entries_[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return id;
}

std::optional<RunIdentity::Difference> RunIdentity::first_difference(const RunIdentity& stored) const {
  static const std::string unset = "(not set)";
  auto a = stored.entries_.begin();
  auto b = entries_.begin();
  while (a != stored.entries_.end() || b != entries_.end()) {
    if (b == entries_.end() || (a != stored.entries_.end() && a->first < b->first)) return Difference{a->first, a->second, unset};
    if (a == stored.entries_.end() || b->first < a->first) return Difference{b->first, unset, b->second};
    if (a->second != b->second) return Difference{a->first, a->second, b->second};
    ++a;
    ++b;
  }
  return std::nullopt;
}

std::string file_fingerprint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a 64
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      h ^= static_cast<unsigned char>(buf[static_cast<std::size_t>(i)]);
      h *= 1099511628211ULL;
    }
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace batchrmt
