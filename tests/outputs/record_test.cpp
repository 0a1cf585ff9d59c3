// Records with a field table (core/record_fields.hpp, outputs/record.hpp): round trips through
// HDF5 and bytes, strict reading (a missing, misspelt or mistyped field is an error naming the
// field, the group and the file), optional sections and tables of rows.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "core/errors.hpp"
#include "outputs/record.hpp"
#include "tests/outputs/outputs_support.hpp"

using namespace batchrmt;
using namespace batchrmt::outputs;

namespace {

struct Extra {
  double slack = 0;
  std::vector<double> nodes;
};

struct RunRecord {
  double top = 0;
  std::size_t steps = 0;
  std::int64_t B = 0;
  std::string status;
  std::vector<double> alpha, beta;
  std::vector<std::size_t> indices;
  Eigen::MatrixXd vectors;
  double x = 0;
  std::optional<Extra> extra;
};

const RecordFields<Extra>& extra_fields() {
  static const auto t = RecordFields<Extra>().attribute("slack", &Extra::slack).dataset("nodes", &Extra::nodes);
  return t;
}

const RecordFields<RunRecord>& run_fields() {
  static const auto t = RecordFields<RunRecord>()
                            .attribute("top", &RunRecord::top)
                            .attribute("steps", &RunRecord::steps, FieldKind::real)
                            .attribute("B", &RunRecord::B)
                            .attribute("status", &RunRecord::status)
                            .dataset("alpha", &RunRecord::alpha)
                            .dataset("beta", &RunRecord::beta, Presence::omit_when_empty)
                            .dataset("indices", &RunRecord::indices)
                            .dataset("vectors", &RunRecord::vectors, Presence::omit_when_empty)
                            .dataset("x", &RunRecord::x)
                            .section("extra", &RunRecord::extra, extra_fields());
  return t;
}

RunRecord sample_run() {
  RunRecord r;
  r.top = 2.5;
  r.steps = 7;
  r.B = -3;
  r.status = "converged";
  r.alpha = {1, 2, 3};
  r.indices = {4, 5};
  r.vectors = Eigen::MatrixXd::Identity(3, 2);
  r.x = 0.125;
  r.extra = Extra{0.5, {9, 8}};
  return r;
}

void expect_same(const RunRecord& a, const RunRecord& b) {
  EXPECT_EQ(a.top, b.top);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.B, b.B);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.alpha, b.alpha);
  EXPECT_EQ(a.beta, b.beta);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_TRUE(a.vectors.rows() == b.vectors.rows() && a.vectors.cols() == b.vectors.cols() && a.vectors == b.vectors);
  EXPECT_EQ(a.x, b.x);
  ASSERT_EQ(a.extra.has_value(), b.extra.has_value());
  if (a.extra) {
    EXPECT_EQ(a.extra->slack, b.extra->slack);
    EXPECT_EQ(a.extra->nodes, b.extra->nodes);
  }
}

// The message of the error `f` throws, which must be of type E.
template <class E, class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

}  // namespace

using RecordTest = batchrmt::testing::OutputsTest;

TEST_F(RecordTest, RoundTripsThroughHdf5WithTheLayoutOfTheTable) {
  const RunRecord r = sample_run();
  const std::string p = batchrmt::testing::write_result(path("r.h5"), [&](Store& s) { write_record(s.root().group("unit"), r, run_fields()); });
  const Reader reader = Reader::open(p);
  const Group g = reader.root().group("unit");
  expect_same(read_record(g, run_fields()), r);
  // steps as a float64 attribute, B as an int64 one, x a scalar dataset, beta (empty) not written.
  EXPECT_TRUE(std::holds_alternative<double>(*g.attribute("steps")));
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(*g.attribute("B")));
  EXPECT_EQ(g.read_double("x"), 0.125);
  EXPECT_FALSE(g.has("beta"));
  EXPECT_EQ(g.read_int_vector("indices"), (std::vector<std::int64_t>{4, 5}));
}

TEST_F(RecordTest, AnAbsentSectionIsNotWrittenAndReadsBackEmpty) {
  RunRecord r = sample_run();
  r.extra.reset();
  r.vectors.resize(0, 0);
  const std::string p = batchrmt::testing::write_result(path("r.h5"), [&](Store& s) { write_record(s.root().group("unit"), r, run_fields()); });
  const Group g = Reader::open(p).root().group("unit");
  EXPECT_FALSE(g.attribute("slack").has_value());
  EXPECT_FALSE(g.has("nodes"));
  expect_same(read_record(g, run_fields()), r);
}

TEST_F(RecordTest, AMissingFieldIsAnErrorNamingFieldGroupAndFile) {
  const std::string p = batchrmt::testing::write_result(path("r.h5"), [&](Store& s) {
    const Group g = s.root().group("unit");
    write_record(g, sample_run(), run_fields());
    Group(s.root().group("other")).set_attribute("top", 1.0);  // a group with one field only
  });
  const Reader reader = Reader::open(p);
  const std::string m = error_of<InvalidInput>([&] { read_record(reader.root().group("other"), run_fields()); });
  EXPECT_NE(m.find("'steps'"), std::string::npos) << m;
  EXPECT_NE(m.find("/other"), std::string::npos) << m;
  EXPECT_NE(m.find(p), std::string::npos) << m;
}

TEST_F(RecordTest, AMisspeltFieldNameIsAnError) {
  const std::string p = batchrmt::testing::write_result(path("r.h5"), [&](Store& s) { write_record(s.root().group("unit"), sample_run(), run_fields()); });
  const auto misspelt = RecordFields<RunRecord>().attribute("top", &RunRecord::top).attribute("stpes", &RunRecord::steps, FieldKind::real);
  const Reader reader = Reader::open(p);
  const std::string m = error_of<InvalidInput>([&] { read_record(reader.root().group("unit"), misspelt); });
  EXPECT_NE(m.find("'stpes'"), std::string::npos) << m;
}

TEST_F(RecordTest, AFieldOfAnotherTypeIsAnError) {
  const std::string p = batchrmt::testing::write_result(path("r.h5"), [&](Store& s) { write_record(s.root().group("unit"), sample_run(), run_fields()); });
  const Reader reader = Reader::open(p);
  const Group g = reader.root().group("unit");
  struct Wrong {
    double status = 0;  // a string attribute in the file
    std::vector<double> x;  // a scalar dataset in the file
  };
  EXPECT_NE(error_of<InvalidInput>([&] { read_record(g, RecordFields<Wrong>().attribute("status", &Wrong::status)); }).find("'status'"),
            std::string::npos);
  EXPECT_NE(error_of<InvalidInput>([&] { read_record(g, RecordFields<Wrong>().dataset("x", &Wrong::x)); }).find("'x'"),
            std::string::npos);
}

TEST_F(RecordTest, ASectionFieldOfAnotherTypeIsAnError) {
  const std::string p = batchrmt::testing::write_result(path("r.h5"), [&](Store& s) {
    RunRecord r = sample_run();
    write_record(s.root().group("unit"), r, run_fields());
    s.root().group("unit").set_attribute("slack", std::string("x"));
  });
  // "nodes" present, "slack" of another type: an error, not a section read as absent.
  EXPECT_THROW(read_record(Reader::open(p).root().group("unit"), run_fields()), InvalidInput);
}

TEST_F(RecordTest, APartOfASectionIsAnError) {
  const std::string p = batchrmt::testing::write_result(path("r.h5"), [&](Store& s) {
    RecordValues values = run_fields().values(sample_run());
    for (auto& e : values)
      if (e.spec.name == "slack") e.value.reset();
    write_values(s.root().group("unit"), values);
  });
  const std::string m = error_of<InvalidInput>([&] { read_record(Reader::open(p).root().group("unit"), run_fields()); });
  EXPECT_NE(m.find("'slack'"), std::string::npos) << m;
}

TEST_F(RecordTest, TheRunsOwnFileFailsWithIoError) {
  Store s = Store::open(path("r.h5"), provenance(), OpenMode::fresh);
  const Group g = s.root().group("unit");
  g.set_attribute("top", 1.0);
  EXPECT_THROW(read_record(g, run_fields()), IoError);
}

TEST_F(RecordTest, RoundTripsThroughBytes) {
  const RunRecord r = sample_run();
  const auto bytes = record_bytes(run_fields().values(r));
  expect_same(run_fields().from(record_from_bytes(run_fields().schema(), bytes), "bytes"), r);
  auto truncated = bytes;
  truncated.pop_back();
  EXPECT_THROW(record_from_bytes(run_fields().schema(), truncated), IoError);
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_THROW(record_from_bytes(run_fields().schema(), longer), IoError);
}

namespace {
struct Row {
  std::int64_t B = 0;
  bool full = false;
  double mean = 0;
  std::string label;
};
const RecordFields<Row>& row_fields() {
  static const auto t =
      RecordFields<Row>().attribute("B", &Row::B).attribute("is_full", &Row::full).attribute("mean", &Row::mean).attribute("label", &Row::label);
  return t;
}
}  // namespace

TEST_F(RecordTest, TablesRoundTripAsOneDatasetPerField) {
  const std::vector<Row> rows{{1, false, 0.5, "a"}, {8, true, NAN, ""}};
  const std::string p = batchrmt::testing::write_result(path("t.h5"), [&](Store& s) { write_table(s.root().group("summary"), rows, row_fields()); });
  const Group g = Reader::open(p).root().group("summary");
  EXPECT_EQ(g.read_int_vector("is_full"), (std::vector<std::int64_t>{0, 1}));
  const auto back = read_table(g, row_fields());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].B, 8);
  EXPECT_TRUE(back[1].full);
  EXPECT_TRUE(std::isnan(back[1].mean));
  EXPECT_EQ(back[0].label, "a");
  const auto misspelt = RecordFields<Row>().attribute("B", &Row::B).attribute("maen", &Row::mean);
  EXPECT_NE(error_of<InvalidInput>([&] { read_table(g, misspelt); }).find("'maen'"), std::string::npos);
}
