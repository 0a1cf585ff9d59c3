#include "outputs/report.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/errors.hpp"
#include "outputs/store.hpp"

namespace batchrmt::outputs {

namespace {

std::string text(const std::optional<AttributeValue>& v, int precision = 6) {
  if (!v) return "";
  if (const auto* s = std::get_if<std::string>(&*v)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&*v)) return std::to_string(*i);
  const double d = std::get<double>(*v);
  if (!std::isfinite(d)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, d);
  return buf;
}

std::string cell(std::string s) {
  for (auto& c : s)
    if (c == '|' || c == '\n') c = ' ';
  return s;
}

}  // namespace

std::string write_markdown_report(const std::string& h5_path, const std::string& markdown_path,
                                  const ReportOptions& options) {
  namespace fs = std::filesystem;
  const Reader reader = Reader::open(h5_path);
  const Group root = reader.root();
  std::ostringstream md;
  md << "# batchrmt report\n\n";
  md << "Result file: `" << h5_path << "` (run " << text(root.attribute("run_status")) << ", created "
     << text(root.attribute("created_utc")) << ", batchrmt " << text(root.attribute("batchrmt_version")) << ", git "
     << text(root.attribute("git_sha")) << ", seed " << text(root.attribute("seed")) << ").\n\n";
  md << "batchrmt checks the claims of Granziol, Zohren & Roberts, *Learning Rates as a Function of Batch Size* "
        "(JMLR 2022) against its own simulations and measurements; it does not assume them. Each row is one "
        "experiment: a prediction from the theory layer, a measurement with its standard error, the z-score and "
        "the verdict (`agrees`, `disagrees`, `inconclusive`, `outside its regime`, `not measured`). The notes say how each verdict "
        "was reached (tolerance = statistical term + stated bias budget).\n\n";

  struct Row {
    std::string unit, id, name, verdict, note;
    std::string prediction, measurement, se, z;
  };
  std::vector<Row> rows;
  std::map<std::string, int> counts;
  for (const auto& unit : reader.complete_units()) {
    const Group g = root.group(unit);
    const auto verdict = g.attribute("verdict");
    if (!verdict) continue;
    Row r{unit, text(g.attribute("check_id")), text(g.attribute("check_name")), text(verdict), text(g.attribute("note")),
          text(g.attribute("prediction"), 6), text(g.attribute("measurement"), 6), text(g.attribute("stderr"), 2),
          text(g.attribute("z"), 3)};
    ++counts[r.verdict];
    rows.push_back(r);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    const bool ac = !a.id.empty() && a.id[0] == 'C', bc = !b.id.empty() && b.id[0] == 'C';
    return ac != bc ? ac : a.id < b.id;  // claims first, then self-checks
  });
  md << "## Verdicts\n\n";
  for (const auto& [verdict, n] : counts) md << "- **" << verdict << "**: " << n << "\n";
  md << "\n| id | claim or check | prediction | measurement | stderr | z | verdict |\n|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows)
    md << "| " << r.id << " | " << cell(r.name) << " | " << r.prediction << " | " << r.measurement << " | " << r.se << " | "
       << r.z << " | **" << r.verdict << "** |\n";
  if (rows.empty()) md << "| | (no unit with a verdict in this file) | | | | | |\n";
  md << "\n## Details\n\n";
  for (const auto& r : rows) {
    md << "### " << r.id << " — " << r.name << "\n\n" << r.note << "\n\n";
    const Group g = root.group(r.unit);
    std::ostringstream scalars;
    for (const auto& [name, value] : g.attributes())
      if (name.rfind("scalar.", 0) == 0) scalars << "`" << name.substr(7) << "` = " << text(value, 6) << "; ";
    if (!scalars.str().empty()) md << "Numbers: " << scalars.str() << "\n\n";
    for (const auto& fig : options.figures) {
      const std::string stem = fs::path(fig).stem().string();
      if (stem.rfind(r.id + "_", 0) == 0 || stem == r.id) {
        const std::string rel = fs::relative(fs::path(fig), fs::path(markdown_path).parent_path()).string();
        md << "![" << stem << "](" << rel << ")\n\n";
      }
    }
    md << "Data: `" << r.unit << "` in the HDF5 file.\n\n";
  }
  if (!options.plot_message.empty()) md << "_Figures " << options.plot_message << "._\n\n";
  const auto status = reader.unit_status();
  std::size_t incomplete = 0;
  for (const auto& [unit, s] : status)
    if (s != "complete") ++incomplete;
  if (incomplete) md << "**" << incomplete << " unit(s) are incomplete** and were left out.\n\n";
  if (const auto cfg = root.attribute("config"); cfg && std::holds_alternative<std::string>(*cfg)) {
    md << "## Settings\n\nConfiguration (" << text(root.attribute("config_source")) << "), every value the run used:\n\n```json\n";
    try {
      md << nlohmann::json::parse(std::get<std::string>(*cfg)).dump(2);
    } catch (const std::exception&) {
      md << std::get<std::string>(*cfg);
    }
    md << "\n```\n\n";
  }
  md << "## Provenance\n\n| attribute | value |\n|---|---|\n";
  for (const auto& [name, value] : root.attributes()) {
    if (name == "config") continue;
    md << "| " << name << " | `" << cell(text(value, 17)) << "` |\n";
  }
  const std::string out = md.str();
  std::error_code ec;
  const auto parent = fs::path(markdown_path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  std::ofstream f(markdown_path);
  if (!f) throw IoError("cannot write the report " + markdown_path + ".");
  f << out;
  if (!f) throw IoError("writing the report " + markdown_path + " failed.");
  return out;
}

}  // namespace batchrmt::outputs
