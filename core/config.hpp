// Experiment configuration from TOML (configs/*.toml), read with dotted keys and defaults.
// Every value consulted — from the file or a default — is recorded, so the stored `config`
// attribute is the configuration the run actually used.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace batchrmt {

class Config {
 public:
  Config() = default;
  // InvalidInput (bad input, exit 2) when the path is missing, a directory or unreadable, and
  // naming the file, line and problem when it is not valid TOML.
  static Config load(const std::string& path);
  static Config parse(const std::string& toml_text, const std::string& source_name);

  // Dotted keys ("c2.batch_sizes"). A present value of the wrong type is InvalidInput.
  double number(const std::string& key, double fallback) const;
  std::int64_t integer(const std::string& key, std::int64_t fallback) const;
  bool flag(const std::string& key, bool fallback) const;
  std::string text(const std::string& key, const std::string& fallback) const;
  std::vector<double> numbers(const std::string& key, const std::vector<double>& fallback) const;
  std::vector<std::int64_t> integers(const std::string& key, const std::vector<std::int64_t>& fallback) const;
  std::vector<std::string> texts(const std::string& key, const std::vector<std::string>& fallback) const;
  bool has(const std::string& key) const;
  // Sets a value, replacing the file's (command-line overrides such as `reproduce --data-dir`):
  // later reads see it and record it like any other.
  void set(const std::string& key, const nlohmann::json& value);

  const std::string& source() const noexcept { return source_; }
  // The values consulted so far, as JSON (keys nested as in the file).
  const nlohmann::json& resolved() const noexcept { return used_; }
  // The values as read from the file (plus set() overrides), for ConfigKeys::check.
  const nlohmann::json& values() const noexcept { return values_; }
  // Canonical text of the values (sorted keys): part of a run's identity.
  std::string canonical() const { return values_.dump(); }

 private:
  const nlohmann::json* find(const std::string& key) const;
  template <typename T>
  T get(const std::string& key, const T& fallback, const char* type_name) const;
  nlohmann::json values_ = nlohmann::json::object();
  mutable nlohmann::json used_ = nlohmann::json::object();
  std::string source_ = "(defaults)";
};

}  // namespace batchrmt
