#include "outputs/report.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/errors.hpp"
#include "outputs/store.hpp"

namespace batchrmt::outputs {

namespace {

std::string text(const std::optional<AttributeValue>& v, int precision = 6) {
  if (!v) return "";
  if (const auto* s = std::get_if<std::string>(&*v)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&*v)) return std::to_string(*i);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, std::get<double>(*v));
  return buf;
}

}  // namespace

std::string write_markdown_report(const std::string& h5_path, const std::string& markdown_path) {
  const Reader reader = Reader::open(h5_path);
  const Group root = reader.root();
  std::ostringstream md;
  md << "# batchrmt report\n\n";
  md << "Result file: `" << h5_path << "` (run " << text(root.attribute("run_status")) << ", created "
     << text(root.attribute("created_utc")) << ").\n\n";
  md << "## Checks and claims\n\n";
  md << "| id | name | prediction | measurement | stderr | z | verdict | unit |\n";
  md << "|---|---|---|---|---|---|---|---|\n";
  std::size_t rows = 0;
  std::ostringstream notes;
  for (const auto& unit : reader.complete_units()) {
    const Group g = root.group(unit);
    const auto verdict = g.attribute("verdict");
    if (!verdict) continue;
    ++rows;
    md << "| " << text(g.attribute("check_id")) << " | " << text(g.attribute("check_name")) << " | "
       << text(g.attribute("prediction"), 8) << " | " << text(g.attribute("measurement"), 8) << " | "
       << text(g.attribute("stderr"), 3) << " | " << text(g.attribute("z"), 3) << " | **" << text(verdict)
       << "** | `" << unit << "` |\n";
    if (const auto note = g.attribute("note")) notes << "- `" << unit << "`: " << text(note) << "\n";
  }
  if (rows == 0) md << "| | (no unit with a verdict in this file) | | | | | | |\n";
  md << "\n";
  if (!notes.str().empty()) md << "### Notes\n\n" << notes.str() << "\n";
  const auto status = reader.unit_status();
  std::size_t incomplete = 0;
  for (const auto& [unit, s] : status)
    if (s != "complete") ++incomplete;
  if (incomplete) md << "**" << incomplete << " unit(s) are incomplete** and were left out of the table.\n\n";
  md << "## Provenance\n\n| attribute | value |\n|---|---|\n";
  for (const auto& [name, value] : root.attributes()) {
    std::string v = text(value);
    for (auto& c : v)
      if (c == '|' || c == '\n') c = ' ';
    md << "| " << name << " | `" << v << "` |\n";
  }
  const std::string out = md.str();
  std::error_code ec;
  const auto parent = std::filesystem::path(markdown_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream f(markdown_path);
  if (!f) throw IoError("cannot write the report " + markdown_path + ".");
  f << out;
  if (!f) throw IoError("writing the report " + markdown_path + " failed.");
  return out;
}

}  // namespace batchrmt::outputs
