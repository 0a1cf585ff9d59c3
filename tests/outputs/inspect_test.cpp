// `batchrmt inspect`: the description of a result file (tree, shapes, dtypes, attributes, unit
// status) and its text rendering; files that are not results are refused.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <fstream>
#include <regex>

#include "core/errors.hpp"
#include "outputs/inspect.hpp"
#include "outputs/store.hpp"
#include "tests/outputs/outputs_support.hpp"

using namespace batchrmt;
using namespace batchrmt::outputs;
using Inspect = batchrmt::testing::OutputsTest;
using batchrmt::testing::write_result;

namespace {

const nlohmann::json* node_at(const nlohmann::json& description, const std::string& path) {
  for (const auto& node : description["tree"])
    if (node["path"] == path) return &node;
  return nullptr;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// render_description's lines from the unit count on (the root's provenance varies by run),
// every UTC time written as <utc>.
std::string rendered_units_and_tree(const nlohmann::json& description) {
  const std::string text = render_description(description);
  const auto units = text.find("\nunits: ");
  const std::string tail = units == std::string::npos ? text : text.substr(units + 1);
  return std::regex_replace(tail, std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"), "<utc>");
}

}  // namespace

TEST_F(Inspect, DescribesTreeShapesAndUnits) {
  const std::string p = write_result(path("ins.h5"), [](Store& s) {
    Group u = s.begin_unit("sim/n100");
    u.write("values", Eigen::VectorXd::Zero(7).eval());
    s.complete_unit(u);
    s.begin_unit("sim/n200");
  });
  const auto d = describe_file(p);
  EXPECT_EQ(d["units"]["/sim/n100"], "complete");
  EXPECT_EQ(d["units"]["/sim/n200"], "in_progress");
  const auto* values = node_at(d, "/sim/n100/values");
  ASSERT_NE(values, nullptr);
  EXPECT_EQ((*values)["shape"], nlohmann::json::array({7}));
  EXPECT_EQ((*values)["dtype"], "float64");
  const std::string text = render_description(d);
  EXPECT_TRUE(contains(text, "n100/  [unit: complete]")) << text;
  EXPECT_TRUE(contains(text, "values  float64 (7,)")) << text;
}

TEST_F(Inspect, ListsEveryDatasetWithItsShapeDtypeAndStorage) {
  const std::string p = write_result(path("kinds.h5"), [](Store& s) {
    Group u = s.begin_unit("run");
    u.write("big", Eigen::VectorXd::LinSpaced(5000, 0.0, 1.0).eval());  // above the chunk threshold
    u.write("matrix", Eigen::MatrixXd::Ones(3, 4).eval());
    u.write("ints", std::vector<std::int64_t>{1, 2});
    u.write("names", std::vector<std::string>{"a", "b", "c"});
    u.write_scalar("x", 0.25);
    u.set_attribute("note", std::string("two columns"));
    u.set_attribute("trials", std::int64_t{12});
    s.complete_unit(u);
  });
  const auto d = describe_file(p);
  EXPECT_EQ(d["file"], p);
  EXPECT_EQ(d["schema_version"], kSchemaVersion);
  EXPECT_EQ(d["run_status"], "complete");
  EXPECT_EQ(d["attributes"]["seed"], 99);
  EXPECT_EQ(d["units"], (nlohmann::json{{"/run", "complete"}}));

  const auto* run = node_at(d, "/run");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ((*run)["kind"], "group");
  EXPECT_EQ((*run)["status"], "complete");
  EXPECT_EQ((*run)["attributes"]["note"], "two columns");
  EXPECT_EQ((*run)["attributes"]["trials"], 12);

  struct Expected {
    const char* path;
    nlohmann::json shape;
    const char* dtype;
    bool compressed;
  };
  for (const Expected& e : {Expected{"/run/big", nlohmann::json::array({5000}), "float64", true},
                            Expected{"/run/matrix", nlohmann::json::array({3, 4}), "float64", false},
                            Expected{"/run/ints", nlohmann::json::array({2}), "int64", false},
                            Expected{"/run/names", nlohmann::json::array({3}), "string", false},
                            Expected{"/run/x", nlohmann::json::array(), "float64", false}}) {
    SCOPED_TRACE(e.path);
    const auto* node = node_at(d, e.path);
    ASSERT_NE(node, nullptr);
    EXPECT_EQ((*node)["kind"], "dataset");
    EXPECT_EQ((*node)["shape"], e.shape);
    EXPECT_EQ((*node)["dtype"], e.dtype);
    EXPECT_EQ((*node)["chunked"], e.compressed);
    EXPECT_EQ((*node)["compressed"], e.compressed);
  }

  const std::string text = render_description(d);
  EXPECT_EQ(text.rfind(p + "  (schema " + std::to_string(kSchemaVersion) + ", run complete)\n", 0), 0u) << text;
  EXPECT_TRUE(contains(text, "\n  @seed = 99\n")) << text;
  EXPECT_EQ(rendered_units_and_tree(d), R"(units: 1 complete of 1
  run/  [unit: complete]
    @completed_utc = <utc>
    @note = two columns
    @started_utc = <utc>
    @trials = 12
    big  float64 (5000,) deflate
    ints  int64 (2,)
    matrix  float64 (3, 4)
    names  string (3,)
    x  float64 scalar
)");
}

TEST_F(Inspect, AnUncommittedRunIsShownPartialWithItsUnitInFlight) {
  const std::string p = path("stopped.h5");
  {
    Store s = Store::open(p, provenance(), OpenMode::fresh);
    s.complete_unit(s.begin_unit("sweep/n0"));
    s.begin_unit("sweep/n1");
  }
  const auto d = describe_file(p + ".partial");
  EXPECT_EQ(d["run_status"], "partial");
  EXPECT_EQ(d["units"]["/sweep/n0"], "complete");
  EXPECT_EQ(d["units"]["/sweep/n1"], "in_progress");
  EXPECT_TRUE(contains(render_description(d), ", run partial)\n"));
  EXPECT_EQ(rendered_units_and_tree(d), R"(units: 1 complete of 2
  sweep/
    n0/  [unit: complete]
      @completed_utc = <utc>
      @started_utc = <utc>
    n1/  [unit: in_progress]
      @started_utc = <utc>
)");
}

TEST_F(Inspect, MissingForeignAndCorruptFilesAreRefusedAsBadInput) {
  try {
    describe_file(path("missing.h5"));
    FAIL() << "described a missing file";
  } catch (const InvalidInput& e) {
    EXPECT_TRUE(contains(e.what(), "does not exist")) << e.what();
  }
  const std::string foreign = path("foreign.h5");
  { H5::H5File f(foreign, H5F_ACC_TRUNC); }
  try {
    describe_file(foreign);
    FAIL() << "described an HDF5 file without a schema";
  } catch (const InvalidInput& e) {
    EXPECT_TRUE(contains(e.what(), "not a batchrmt result")) << e.what();
  }
  const std::string text_file = path("notes.h5");
  std::ofstream(text_file) << "not HDF5 at all\n";
  EXPECT_THROW(describe_file(text_file), InvalidInput);
  EXPECT_THROW(describe_file(dir_.string()), InvalidInput);
}
