// The identity of a run: its subcommand and the canonical values of every option (and data
// identity) that determines its numbers. A result file stores it at the root (run_command,
// run_identity, run_fingerprint) and on every unit (run_fingerprint), so `--resume` can refuse a
// file made by another command or with other options, and a unit computed under other options
// is never reused (docs/reliability.md, "Run identity").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace batchrmt {

class RunIdentity {
 public:
  RunIdentity() = default;
  explicit RunIdentity(std::string command) : command_(std::move(command)) {}

  // Adds (or replaces) one entry. Values are stored canonically: integers in decimal, floating
  // values with 17 significant digits, booleans as true/false.
  RunIdentity& set(const std::string& name, const std::string& value);
  RunIdentity& set(const std::string& name, const char* value) { return set(name, std::string(value)); }
  RunIdentity& set(const std::string& name, std::int64_t value);
  RunIdentity& set(const std::string& name, std::uint64_t value);
  RunIdentity& set(const std::string& name, int value) { return set(name, static_cast<std::int64_t>(value)); }
  RunIdentity& set(const std::string& name, double value);
  RunIdentity& set_flag(const std::string& name, bool value);

  bool empty() const noexcept { return command_.empty(); }
  const std::string& command() const noexcept { return command_; }
  const std::map<std::string, std::string>& entries() const noexcept { return entries_; }

  // JSON object {"entry": "value", ...} with keys sorted: the stored run_identity attribute.
  std::string canonical() const;
  // 16 hex digits (FNV-1a 64 of the command and canonical()): the run_fingerprint attribute.
  std::string fingerprint() const;
  static RunIdentity from_stored(const std::string& command, const std::string& canonical_json);

  // The first entry (in name order) whose value differs between `stored` and this identity, as
  // (name, stored value, this value); a value absent on one side reads "(not set)".
  struct Difference {
    std::string name, stored, current;
  };
  std::optional<Difference> first_difference(const RunIdentity& stored) const;

  // What a refusal tells the user to do instead (default: "pass --overwrite to replace it, or
  // choose another --out"); `make reproduce` names the command that starts afresh.
  std::string restart_hint;

 private:
  std::string command_;
  std::map<std::string, std::string> entries_;
};

// Canonical text of an option value typed on the command line: an integer literal in decimal
// without sign or leading zeros ("+007" -> "7"), a floating literal with 17 significant digits
// ("0.50" -> "0.5"), anything else unchanged; lists are canonicalised element by element.
std::string canonical_option_value(const std::string& text);

// A content fingerprint of a file a run reads (a checkpoint, a TorchScript model): FNV-1a 64 of
// its bytes, as 16 hex digits.
std::string file_fingerprint(const std::string& path);

}  // namespace batchrmt
