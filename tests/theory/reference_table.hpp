// Reads the committed mpmath reference tables of tests/theory/reference/*.csv: a header line of
// column names, then rows of numbers (15+ significant digits). Lines starting with '#' are comments.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace batchrmt::test {

// One row: fields by column name; at() parses a number (stod keeps all 17 significant digits).
struct ReferenceRow {
  std::map<std::string, std::string> fields;
  double at(const std::string& column) const { return std::stod(fields.at(column)); }
  const std::string& text(const std::string& column) const { return fields.at(column); }
};

inline std::vector<ReferenceRow> read_reference(const std::string& name) {
  const std::string path = std::string(BATCHRMT_SOURCE_DIR) + "/tests/theory/reference/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open reference table " + path);
  std::vector<std::string> cols;
  std::vector<ReferenceRow> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) fields.push_back(f);
    if (cols.empty()) {
      cols = fields;
      continue;
    }
    ReferenceRow r;
    for (std::size_t i = 0; i < cols.size() && i < fields.size(); ++i) r.fields[cols[i]] = fields[i];
    rows.push_back(r);
  }
  return rows;
}

}  // namespace batchrmt::test
