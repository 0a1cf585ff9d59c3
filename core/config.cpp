#include "core/config.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include "core/toml_include.hpp"

#include "core/errors.hpp"

namespace batchrmt {

namespace {

nlohmann::json to_json(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : *t) out[std::string(k.str())] = to_json(v);
    return out;
  }
  if (const auto* a = node.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : *a) out.push_back(to_json(v));
    return out;
  }
  if (const auto* v = node.as_integer()) return v->get();
  if (const auto* v = node.as_floating_point()) return v->get();
  if (const auto* v = node.as_boolean()) return v->get();
  if (const auto* v = node.as_string()) return v->get();
  return nullptr;  // dates and times: not used by batchrmt
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream ss(key);
  std::string part;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  return parts;
}

}  // namespace

Config Config::parse(const std::string& toml_text, const std::string& source_name) {
  Config c;
  c.source_ = source_name;
  try {
    const toml::table table = toml::parse(toml_text, source_name);
    c.values_ = to_json(table);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw InvalidInput(source_name + " is not valid TOML at line " + std::to_string(where.line) + ", column " +
                       std::to_string(where.column) + ": " + std::string(e.description()) + ".");
  }
  return c;
}

Config Config::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw InvalidInput("the configuration file " + path + " does not exist; give the path of a TOML file.");
  if (!std::filesystem::is_regular_file(path, ec))
    throw InvalidInput("the configuration path " + path + " is not a regular file (a directory?); give the path of a TOML file.");
  std::ifstream in(path);
  if (!in) throw InvalidInput("the configuration file " + path + " cannot be read (permissions?).");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse(buf.str(), path);
}

const nlohmann::json* Config::find(const std::string& key) const {
  const nlohmann::json* node = &values_;
  for (const auto& part : split_key(key)) {
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
  }
  return node;
}

bool Config::has(const std::string& key) const { return find(key) != nullptr; }

template <typename T>
T Config::get(const std::string& key, const T& fallback, const char* type_name) const {
  T value = fallback;
  if (const auto* node = find(key)) {
    try {
      value = node->get<T>();
    } catch (const nlohmann::json::exception&) {
      throw InvalidInput(source_ + ": " + key + " is " + node->dump() + ", but must be " + type_name + ".");
    }
  }
  nlohmann::json* slot = &used_;
  const auto parts = split_key(key);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) slot = &(*slot)[parts[i]];
  (*slot)[parts.back()] = value;
  return value;
}

double Config::number(const std::string& key, double fallback) const {
  if (const auto* node = find(key); node && !node->is_number())
    throw InvalidInput(source_ + ": " + key + " is " + node->dump() + ", but must be a number.");
  return get<double>(key, fallback, "a number");
}
std::int64_t Config::integer(const std::string& key, std::int64_t fallback) const {
  if (const auto* node = find(key); node && !node->is_number_integer())
    throw InvalidInput(source_ + ": " + key + " is " + node->dump() + ", but must be an integer.");
  return get<std::int64_t>(key, fallback, "an integer");
}
bool Config::flag(const std::string& key, bool fallback) const {
  if (const auto* node = find(key); node && !node->is_boolean())
    throw InvalidInput(source_ + ": " + key + " is " + node->dump() + ", but must be true or false.");
  return get<bool>(key, fallback, "true or false");
}
std::string Config::text(const std::string& key, const std::string& fallback) const {
  if (const auto* node = find(key); node && !node->is_string())
    throw InvalidInput(source_ + ": " + key + " is " + node->dump() + ", but must be a string.");
  return get<std::string>(key, fallback, "a string");
}
std::vector<double> Config::numbers(const std::string& key, const std::vector<double>& fallback) const {
  return get<std::vector<double>>(key, fallback, "an array of numbers");
}
std::vector<std::int64_t> Config::integers(const std::string& key, const std::vector<std::int64_t>& fallback) const {
  // nlohmann::json would convert a float element by a cast: 1.5 silently becomes 1, and a float
  // beyond the int64 range is undefined behaviour (found by fuzz_toml). Every element must be an
  // integer.
  if (const auto* node = find(key); node && node->is_array())
    for (std::size_t i = 0; i < node->size(); ++i)
      if (!(*node)[i].is_number_integer())
        throw InvalidInput(source_ + ": " + key + " holds " + (*node)[i].dump() + " at position " + std::to_string(i + 1) +
                           ", but must be an array of integers.");
  return get<std::vector<std::int64_t>>(key, fallback, "an array of integers");
}

std::vector<std::string> Config::texts(const std::string& key, const std::vector<std::string>& fallback) const {
  return get<std::vector<std::string>>(key, fallback, "a list of strings");
}

void Config::set(const std::string& key, const nlohmann::json& value) {
  nlohmann::json* slot = &values_;
  const auto parts = split_key(key);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!slot->is_object()) *slot = nlohmann::json::object();
    slot = &(*slot)[parts[i]];
  }
  if (!slot->is_object()) *slot = nlohmann::json::object();
  (*slot)[parts.back()] = value;
}

}  // namespace batchrmt
