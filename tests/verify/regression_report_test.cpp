// The golden-file regression check and the report, end to end on small stored runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/provenance.hpp"
#include "outputs/report.hpp"
#include "outputs/store.hpp"
#include "verify/claim_store.hpp"
#include "verify/regression.hpp"

namespace fs = std::filesystem;
using namespace batchrmt;
using namespace batchrmt::verify;

namespace {
fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("batchrmt_verify_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST(Regression, CommittedGoldenFileMatchesTheCurrentCode) {
  const auto diffs = compare_with_golden(regression_quantities(), std::string(BATCHRMT_SOURCE_DIR) + "/tests/golden/regression.h5");
  for (const auto& d : diffs) ADD_FAILURE() << d.name << "[" << d.index << "] " << d.problem << ": golden " << d.golden << ", now " << d.current;
}

TEST(Regression, APerturbedGoldenNumberIsReported) {
  const auto dir = temp_dir("golden");
  auto q = regression_quantities();
  const std::string golden = (dir / "g.h5").string();
  write_golden(q, golden);
  EXPECT_TRUE(compare_with_golden(q, golden).empty());
  q[3].values[1] *= 1.0 + 1e-6;  // beyond every tolerance
  const auto diffs = compare_with_golden(q, golden);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].name, q[3].name);
  EXPECT_EQ(diffs[0].index, 1u);
  q.pop_back();
  EXPECT_EQ(compare_with_golden(q, golden).back().problem, "missing now");
  fs::remove_all(dir);
}

TEST(Report, IsWrittenFromAStoredRunAlone) {
  const auto dir = temp_dir("report");
  const std::string h5 = (dir / "run.h5").string();
  {
    auto store = outputs::Store::open(h5, collect_provenance({"test"}, 1, 1), outputs::OpenMode::fresh);
    ClaimResult c;
    c.id = "C9";
    c.name = "a constructed claim";
    c.verdict = Verdict::disagrees;
    c.prediction = 1.0;
    c.measurement = 2.0;
    c.stderr_ = 0.1;
    c.z = 10.0;
    c.note = "constructed to disagree";
    c.series["B"] = {1, 2, 4};
    c.scalars["slope"] = 0.5;
    const auto g = store.begin_unit("/claims/C9");
    write_claim(g, c);
    store.complete_unit(g);
    store.set_root_attribute("config", std::string("{\"c9\": {\"n\": 3}}"));
    store.commit();
    const auto back = read_claim(outputs::Reader::open(h5).root().group("/claims/C9"));
    EXPECT_EQ(back.verdict, Verdict::disagrees);
    EXPECT_EQ(back.series.at("B"), (std::vector<double>{1, 2, 4}));
    EXPECT_EQ(back.scalars.at("slope"), 0.5);
  }
  const std::string md = outputs::write_markdown_report(h5, (dir / "run" / "report.md").string());
  EXPECT_NE(md.find("| C9 | a constructed claim | 1 | 2 | 0.1 | 10 | **disagrees** |"), std::string::npos) << md;
  EXPECT_NE(md.find("constructed to disagree"), std::string::npos);
  EXPECT_NE(md.find("\"n\": 3"), std::string::npos);
  EXPECT_NE(md.find("## Provenance"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "run" / "report.md"));
  fs::remove_all(dir);
}
