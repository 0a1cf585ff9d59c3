// report.md from a result file: the verdict counts and table (claims before self-checks), one
// section per verdict with its numbers and figures, the settings and the provenance.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "core/errors.hpp"
#include "outputs/report.hpp"
#include "outputs/store.hpp"
#include "tests/outputs/outputs_support.hpp"

namespace fs = std::filesystem;
using namespace batchrmt;
using namespace batchrmt::outputs;
using Report = batchrmt::testing::OutputsTest;
using batchrmt::testing::write_finished_result;
using batchrmt::testing::write_result;

namespace {

struct Verdict {
  std::string id, name, verdict, note;
  double prediction, measurement, stderr_, z;
};

Group begin_verdict_unit(Store& s, const std::string& unit_path, const Verdict& v) {
  Group unit = s.begin_unit(unit_path);
  for (const auto& [name, value] : std::initializer_list<std::pair<const char*, AttributeValue>>{
           {"check_id", v.id}, {"check_name", v.name}, {"verdict", v.verdict}, {"note", v.note},
           {"prediction", v.prediction}, {"measurement", v.measurement}, {"stderr", v.stderr_}, {"z", v.z}})
    unit.set_attribute(name, value);
  return unit;
}

void complete_verdict_unit(Store& s, const std::string& unit_path, const Verdict& v) {
  s.complete_unit(begin_verdict_unit(s, unit_path, v));
}

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The report's section "## heading", up to the next "## " section.
std::string section(const std::string& md, const std::string& heading) {
  const auto begin = md.find("## " + heading + "\n");
  if (begin == std::string::npos) return "";
  const auto end = md.find("\n## ", begin);
  return md.substr(begin, end == std::string::npos ? std::string::npos : end + 1 - begin);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_F(Report, CountsTabulatesAndDetailsEveryCompleteVerdict) {
  const std::string h5 = write_result(path("claims.h5"), [](Store& s) {
    complete_verdict_unit(s, "checks/v1", {"V1", "semicircle edge", "agrees", "KS distance small", 2.0, 2.001, 0.0123, 0.081});
    complete_verdict_unit(s, "claims/c2", {"C2", "shift | scale", "disagrees", "off by 4 sd", 1.5, 1.9, 0.1, 4.0});
    Group c1 = begin_verdict_unit(s, "claims/c1", {"C1", "top eigenvalue", "agrees", "within tolerance", 3.25, 3.2, 0.05, -1.0});
    c1.set_attribute("scalar.edge", 2.5);
    c1.set_attribute("scalar.trials", std::int64_t{40});
    s.complete_unit(c1);
    s.complete_unit(s.begin_unit("plain"));                                          // no verdict: no row
    begin_verdict_unit(s, "claims/c3", {"C3", "never finished", "agrees", "", 1.0, 1.0, 0.1, 0.0});  // in flight
  });
  const std::string md_path = path("out/report.md");
  const std::string md = write_markdown_report(h5, md_path);
  EXPECT_EQ(file_text(md_path), md);
  EXPECT_EQ(md.rfind("# batchrmt report\n\nResult file: `" + h5 + "` (run complete, created ", 0), 0u) << md;
  EXPECT_TRUE(contains(md, ", seed 99).\n")) << md;
  EXPECT_EQ(section(md, "Verdicts"), R"(## Verdicts

- **agrees**: 2
- **disagrees**: 1

| id | claim or check | prediction | measurement | stderr | z | verdict |
|---|---|---|---|---|---|---|
| C1 | top eigenvalue | 3.25 | 3.2 | 0.05 | -1 | **agrees** |
| C2 | shift   scale | 1.5 | 1.9 | 0.1 | 4 | **disagrees** |
| V1 | semicircle edge | 2 | 2.001 | 0.012 | 0.081 | **agrees** |

)");
  EXPECT_EQ(section(md, "Details"),
            "## Details\n\n"
            "### C1 — top eigenvalue\n\nwithin tolerance\n\nNumbers: `edge` = 2.5; `trials` = 40; \n\n"
            "Data: `/claims/c1` in the HDF5 file.\n\n"
            "### C2 — shift | scale\n\noff by 4 sd\n\nData: `/claims/c2` in the HDF5 file.\n\n"
            "### V1 — semicircle edge\n\nKS distance small\n\nData: `/checks/v1` in the HDF5 file.\n\n"
            "**1 unit(s) are incomplete** and were left out.\n\n");
  const std::string provenance = section(md, "Provenance");
  EXPECT_EQ(provenance.rfind("## Provenance\n\n| attribute | value |\n|---|---|\n", 0), 0u) << md;
  EXPECT_TRUE(contains(provenance, "\n| seed | `99` |\n")) << provenance;
  EXPECT_TRUE(contains(provenance, "\n| run_status | `complete` |\n")) << provenance;
  EXPECT_EQ(section(md, "Settings"), "");
}

TEST_F(Report, AFileWithoutVerdictsSaysSoInItsTable) {
  const std::string h5 = path("empty.h5");
  write_finished_result(h5, {"sim/n100"});
  const std::string md = write_markdown_report(h5, path("a/b/empty.md"));
  EXPECT_TRUE(fs::exists(path("a/b/empty.md")));
  EXPECT_EQ(section(md, "Verdicts"), R"(## Verdicts


| id | claim or check | prediction | measurement | stderr | z | verdict |
|---|---|---|---|---|---|---|
| | (no unit with a verdict in this file) | | | | | |

)");
  EXPECT_EQ(section(md, "Details"), "## Details\n\n");
}

TEST_F(Report, AnUnmeasuredNumberIsADash) {
  const std::string h5 = write_result(path("unmeasured.h5"), [](Store& s) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    complete_verdict_unit(s, "claims/c5", {"C5", "network", "not measured", "no LibTorch", 0.5, nan, nan, nan});
  });
  const std::string md = write_markdown_report(h5, path("unmeasured.md"));
  EXPECT_TRUE(contains(md, "- **not measured**: 1\n")) << md;
  EXPECT_TRUE(contains(md, "| C5 | network | 0.5 | – | – | – | **not measured** |\n")) << md;
}

TEST_F(Report, FiguresOfAClaimAreLinkedRelativeToTheReportAndTheSkipMessageShown) {
  const std::string h5 = write_result(path("fig.h5"), [](Store& s) {
    complete_verdict_unit(s, "claims/c1", {"C1", "top", "agrees", "close", 1.0, 1.0, 0.1, 0.0});
  });
  ReportOptions options;
  options.figures = {path("out/figures/C1_spectrum.png"), path("out/figures/C1.png"), path("out/figures/C10_other.png")};
  options.plot_message = "skipped: matplotlib is not installed";
  const std::string md = write_markdown_report(h5, path("out/report.md"), options);
  EXPECT_EQ(section(md, "Details"), R"(## Details

### C1 — top

close

![C1_spectrum](figures/C1_spectrum.png)

![C1](figures/C1.png)

Data: `/claims/c1` in the HDF5 file.

_Figures skipped: matplotlib is not installed._

)");
}

TEST_F(Report, SettingsShowTheConfigurationAsIndentedJsonOutsideTheProvenanceTable) {
  const std::string h5 = write_result(path("cfg.h5"), [](Store& s) {
    s.set_root_attribute("config", std::string(R"({"v1":{"n":50}})"));
    s.set_root_attribute("config_source", std::string("configs/tiny.toml"));
  });
  const std::string md = write_markdown_report(h5, path("cfg.md"));
  EXPECT_EQ(section(md, "Settings"), R"(## Settings

Configuration (configs/tiny.toml), every value the run used:

```json
{
  "v1": {
    "n": 50
  }
}
```

)");
  EXPECT_TRUE(contains(section(md, "Provenance"), "\n| config_source | `configs/tiny.toml` |\n")) << md;
  EXPECT_FALSE(contains(section(md, "Provenance"), "\n| config |")) << md;

  const std::string raw = write_result(path("raw.h5"), [](Store& s) { s.set_root_attribute("config", std::string("not json")); });
  EXPECT_TRUE(contains(section(write_markdown_report(raw, path("raw.md")), "Settings"), "```json\nnot json\n```\n"));
}

TEST_F(Report, AMissingResultOrAnUnwritableReportIsAnError) {
  try {
    write_markdown_report(path("missing.h5"), path("r.md"));
    FAIL() << "reported on a missing file";
  } catch (const InvalidInput& e) {
    EXPECT_TRUE(contains(e.what(), "does not exist")) << e.what();
  }
  EXPECT_FALSE(fs::exists(path("r.md")));
  const std::string h5 = path("ok.h5");
  write_finished_result(h5, {});
  try {
    write_markdown_report(h5, "/proc/forbidden/report.md");
    FAIL() << "wrote a report under /proc";
  } catch (const IoError& e) {
    EXPECT_TRUE(contains(e.what(), "cannot write the report /proc/forbidden/report.md")) << e.what();
  }
}
