#include "core/config_keys.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/errors.hpp"

namespace batchrmt {

namespace {

const char* type_name(ConfigType t) {
  switch (t) {
    case ConfigType::number: return "a number";
    case ConfigType::integer: return "an integer";
    case ConfigType::flag: return "true or false";
    case ConfigType::text: return "a string";
    case ConfigType::numbers: return "an array of numbers";
    case ConfigType::integers: return "an array of integers";
    case ConfigType::texts: return "an array of strings";
  }
  return "?";
}

bool all_of(const nlohmann::json& v, bool (nlohmann::json::*pred)() const noexcept) {
  if (!v.is_array()) return false;
  for (const auto& e : v)
    if (!(e.*pred)()) return false;
  return true;
}

bool has_type(const nlohmann::json& v, ConfigType t) {
  switch (t) {
    case ConfigType::number: return v.is_number();
    case ConfigType::integer: return v.is_number_integer();
    case ConfigType::flag: return v.is_boolean();
    case ConfigType::text: return v.is_string();
    case ConfigType::numbers: return all_of(v, &nlohmann::json::is_number);
    case ConfigType::integers: return all_of(v, &nlohmann::json::is_number_integer);
    case ConfigType::texts: return all_of(v, &nlohmann::json::is_string);
  }
  return false;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string m = closest_match(word, candidates);
  return m.empty() ? std::string() : " (did you mean '" + m + "'?)";
}

}  // namespace

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

ConfigKeys& ConfigKeys::table(const std::string& name, const std::map<std::string, ConfigType>& keys) {
  tables_[name] = keys;
  return *this;
}

ConfigKeys& ConfigKeys::add(const std::string& table, const std::map<std::string, ConfigType>& keys) {
  for (const auto& [k, t] : keys) tables_[table][k] = t;
  return *this;
}

const std::map<std::string, ConfigType>* ConfigKeys::keys_of(const std::string& table) const {
  if (auto it = tables_.find(table); it != tables_.end()) return &it->second;
  const auto dot = table.rfind('.');
  if (dot != std::string::npos) {
    if (auto it = tables_.find(table.substr(0, dot) + ".*"); it != tables_.end()) return &it->second;
  }
  return nullptr;
}

std::vector<std::string> ConfigKeys::tables() const {
  std::vector<std::string> out;
  for (const auto& [name, keys] : tables_) out.push_back(name);
  return out;
}

bool ConfigKeys::declares(const std::string& dotted_key) const {
  const auto dot = dotted_key.rfind('.');
  if (dot == std::string::npos) return false;
  const auto* keys = keys_of(dotted_key.substr(0, dot));
  return keys && keys->count(dotted_key.substr(dot + 1));
}

void ConfigKeys::check(const Config& config) const {
  const std::string& src = config.source();
  // Sub-tables a table may hold: declared "T.x" names, or any name when "T.*" is declared.
  auto subtables_of = [&](const std::string& parent) {
    std::vector<std::string> out;
    for (const auto& [name, keys] : tables_)
      if (name.size() > parent.size() + 1 && name.compare(0, parent.size() + 1, parent + ".") == 0 &&
          name.find('.', parent.size() + 1) == std::string::npos)
        out.push_back(name);
    return out;
  };
  std::vector<std::string> top;
  for (const auto& name : tables())
    if (name.find('.') == std::string::npos) top.push_back(name);

  const nlohmann::json& root = config.values();
  for (const auto& [name, value] : root.items()) {
    if (!value.is_object()) {
      throw InvalidInput(src + ": the key '" + name + "' stands outside any table, but every key belongs in one of the tables [" +
                         join(top) + "]" + suggestion(name, top) + ".");
    }
    if (!keys_of(name))
      throw InvalidInput(src + ": the table [" + name + "] is not known; the allowed tables are " + join(top) +
                         suggestion(name, top) + ".");
  }
  // Depth-first over the tables the file holds.
  std::vector<std::pair<std::string, const nlohmann::json*>> stack;
  for (const auto& [name, value] : root.items()) stack.emplace_back(name, &value);
  while (!stack.empty()) {
    const auto [table, node] = stack.back();
    stack.pop_back();
    const auto* keys = keys_of(table);
    std::vector<std::string> allowed;
    for (const auto& [k, t] : *keys) allowed.push_back(k);
    for (const auto& [key, value] : node->items()) {
      const std::string full = table + "." + key;
      if (value.is_object()) {
        if (keys_of(full)) {
          stack.emplace_back(full, &value);
          continue;
        }
        std::vector<std::string> subs;
        for (const auto& s : subtables_of(table)) subs.push_back(s.substr(table.size() + 1));
        throw InvalidInput(src + ": the table [" + full + "] is not known; [" + table + "] allows the keys " + join(allowed) +
                           (subs.empty() ? std::string() : " and the sub-tables " + join(subs)) +
                           suggestion(key, subs.empty() ? allowed : subs) + ".");
      }
      const auto it = keys->find(key);
      if (it == keys->end())
        throw InvalidInput(src + ": the key '" + full + "' is not known; [" + table + "] allows " + join(allowed) +
                           suggestion(key, allowed) + ".");
      if (!has_type(value, it->second))
        throw InvalidInput(src + ": " + full + " is " + value.dump() + ", but must be " + type_name(it->second) + ".");
    }
  }
}

}  // namespace batchrmt
