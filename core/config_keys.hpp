// The key registry of experiment configurations: every config reader declares the tables and
// keys it reads (with their types), and check() refuses a file holding anything else — an
// unknown table or key, or a value of the wrong type — with one sentence naming the key, the
// allowed ones and, when one is close (edit distance), "did you mean". Configs are strict so a
// misspelt key never falls back silently to its default (docs/reliability.md, "Strict configurations").
#pragma once

#include <map>
#include <string>
#include <vector>

namespace batchrmt {

class Config;

enum class ConfigType { number, integer, flag, text, numbers, integers, texts };

class ConfigKeys {
 public:
  // Declares `table` (dotted for sub-tables: "c2.outlier") with its keys and their types. A
  // table named "T.*" applies to every sub-table of T the file names ([c5.<case>]).
  ConfigKeys& table(const std::string& name, const std::map<std::string, ConfigType>& keys);
  // Adds keys to a table already declared (or declares it).
  ConfigKeys& add(const std::string& table, const std::map<std::string, ConfigType>& keys);

  // InvalidInput for the first problem found in the file's values (in file order of names).
  void check(const Config& config) const;

  bool declares(const std::string& dotted_key) const;
  std::vector<std::string> tables() const;

 private:
  const std::map<std::string, ConfigType>* keys_of(const std::string& table) const;
  std::map<std::string, std::map<std::string, ConfigType>> tables_;
};

// Levenshtein distance (insert, delete, substitute, each cost 1).
std::size_t edit_distance(const std::string& a, const std::string& b);
// The closest of `candidates` to `word` if within max(1, |word|/3) edits, else empty.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace batchrmt
