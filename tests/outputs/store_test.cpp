// The HDF5 store: round trips of every type, atomic commit, resume, and clear errors on
// corrupt, truncated and foreign files.
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/errors.hpp"
#include "outputs/store.hpp"
#include "tests/outputs/outputs_support.hpp"

namespace fs = std::filesystem;
using namespace batchrmt;
using namespace batchrmt::outputs;

using StoreTest = batchrmt::testing::OutputsTest;
using batchrmt::testing::write_finished_result;

TEST_F(StoreTest, RoundTripsEveryType) {
  const std::string p = path("round.h5");
  Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(5000, -1.0, 1.0);  // above the chunk threshold
  Eigen::MatrixXd m(3, 4);
  m << 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12;
  {
    Store s = Store::open(p, provenance(), OpenMode::fresh);
    Group g = s.root().group("a/b");
    g.write("vector", v);
    g.write("matrix", m);
    g.write("empty", Eigen::VectorXd());
    g.write("ints", std::vector<std::int64_t>{-3, 0, 1LL << 40});
    g.write("strings", std::vector<std::string>{"alpha", "", "β-Hermite"});
    g.write_scalar("x", 3.25);
    g.write_scalar("k", std::int64_t{-7});
    g.write_scalar("s", std::string("Lanczos"));
    g.set_attribute("ia", std::int64_t{5});
    g.set_attribute("da", 0.5);
    g.set_attribute("sa", std::string("complete-ish"));
    g.write_scalar("x", 4.5);  // replacing a dataset is allowed
    s.commit();
  }
  EXPECT_TRUE(fs::exists(p));
  EXPECT_FALSE(fs::exists(p + ".partial"));
  const Reader r = Reader::open(p);
  const Group g = r.root().group("a/b");
  EXPECT_EQ(g.read_vector("vector"), v);
  EXPECT_EQ(g.read_matrix("matrix"), m);
  EXPECT_EQ(g.read_vector("empty").size(), 0);
  EXPECT_EQ(g.read_int_vector("ints"), (std::vector<std::int64_t>{-3, 0, 1LL << 40}));
  EXPECT_EQ(g.read_strings("strings"), (std::vector<std::string>{"alpha", "", "β-Hermite"}));
  EXPECT_EQ(g.read_double("x"), 4.5);
  EXPECT_EQ(g.read_int("k"), -7);
  EXPECT_EQ(g.read_string("s"), "Lanczos");
  EXPECT_EQ(std::get<std::int64_t>(*g.attribute("ia")), 5);
  EXPECT_EQ(std::get<double>(*g.attribute("da")), 0.5);
  EXPECT_EQ(std::get<std::string>(*g.attribute("sa")), "complete-ish");
  EXPECT_FALSE(g.attribute("missing").has_value());
  const auto info = g.dataset_info("vector");
  EXPECT_EQ(info.shape, std::vector<std::size_t>{5000});
  EXPECT_TRUE(info.chunked);
  EXPECT_TRUE(info.compressed);
  EXPECT_EQ(g.dataset_info("matrix").shape, (std::vector<std::size_t>{3, 4}));
  EXPECT_FALSE(g.dataset_info("matrix").chunked);
  EXPECT_EQ(g.dataset_info("x").dtype, "float64");
  EXPECT_THROW(g.read_matrix("vector"), InvalidInput);  // wrong rank in a file read back: bad input, clear error
  EXPECT_THROW(g.read_vector("nothing"), InvalidInput);
}

TEST_F(StoreTest, RootCarriesSchemaAndProvenance) {
  const std::string p = path("prov.h5");
  Store s = Store::open(p, provenance(), OpenMode::fresh);
  s.commit();
  const auto attrs = Reader::open(p).root().attributes();
  for (const char* key : {"schema_version", "batchrmt_version", "git_sha", "created_utc", "command_line", "seed",
                          "threads", "hostname", "library.hdf5", "library.eigen", "run_status"})
    EXPECT_TRUE(attrs.count(key)) << key;
  EXPECT_EQ(std::get<std::int64_t>(attrs.at("schema_version")), kSchemaVersion);
  EXPECT_EQ(std::get<std::int64_t>(attrs.at("seed")), 99);
  EXPECT_EQ(std::get<std::string>(attrs.at("run_status")), "complete");
}

TEST_F(StoreTest, UncommittedRunStaysPartialAndResumesFromCompleteUnits) {
  const std::string p = path("sweep.h5");
  {
    Store s = Store::open(p, provenance(), OpenMode::fresh);
    for (int i = 0; i < 3; ++i) {
      Group u = s.begin_unit("sweep/n" + std::to_string(i));
      u.write_scalar("value", static_cast<double>(i));
      s.complete_unit(u);
    }
    Group dying = s.begin_unit("sweep/n3");  // in flight when the run "dies"
    dying.write_scalar("value", 3.0);
    // no commit: destructor closes the file without renaming it
  }
  EXPECT_FALSE(fs::exists(p));
  ASSERT_TRUE(fs::exists(p + ".partial"));
  {
    const Reader partial = Reader::open(p + ".partial");
    EXPECT_EQ(partial.unit_status().at("/sweep/n3"), "in_progress");
  }
  EXPECT_THROW(Store::open(p, provenance(), OpenMode::fresh), InvalidInput);
  Store s = Store::open(p, provenance(), OpenMode::resume);
  EXPECT_EQ(s.complete_units(), (std::vector<std::string>{"/sweep/n0", "/sweep/n1", "/sweep/n2"}));
  EXPECT_EQ(s.discarded_units(), std::vector<std::string>{"/sweep/n3"});
  EXPECT_TRUE(s.is_complete("sweep/n1"));
  EXPECT_FALSE(s.is_complete("sweep/n3"));
  EXPECT_THROW(s.begin_unit("sweep/n0"), InvalidInput);
  Group u = s.begin_unit("sweep/n3");
  u.write_scalar("value", 3.0);
  s.complete_unit(u);
  s.commit();
  const Reader r = Reader::open(p);
  EXPECT_EQ(r.complete_units().size(), 4u);
  EXPECT_EQ(r.root().group("sweep/n2").read_double("value"), 2.0);
}

TEST_F(StoreTest, ResumeOfAFinishedFileKeepsItsUnits) {
  const std::string p = path("done.h5");
  write_finished_result(p, {"u"});
  Store s = Store::open(p, provenance(), OpenMode::resume);
  EXPECT_EQ(s.complete_units(), std::vector<std::string>{"/u"});
  s.commit();
  EXPECT_TRUE(fs::exists(p));
}

TEST_F(StoreTest, OverwriteReplacesAndBadPathsAreRefused) {
  const std::string p = path("o.h5");
  write_finished_result(p, {"old"});
  {
    Store s = Store::open(p, provenance(), OpenMode::overwrite);
    EXPECT_TRUE(s.complete_units().empty());
    s.commit();
  }
  EXPECT_THROW(Store::open(path("x.txt"), provenance(), OpenMode::fresh), InvalidInput);
  EXPECT_THROW(Store::open("/proc/forbidden/x.h5", provenance(), OpenMode::fresh), IoError);
}

TEST_F(StoreTest, CorruptTruncatedForeignAndMissingFilesGiveClearErrors) {
  // Not HDF5 at all.
  const std::string junk = path("junk.h5");
  {
    std::ofstream f(junk, std::ios::binary);
    std::mt19937 gen(1);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>(gen()));
  }
  EXPECT_THROW(Reader::open(junk), InvalidInput);  // a corrupt file handed over is bad input
  // Truncated: a real result cut in half.
  const std::string whole = path("whole.h5");
  {
    Store s = Store::open(whole, provenance(), OpenMode::fresh);
    Group u = s.begin_unit("u");
    u.write("big", Eigen::VectorXd::Random(20000).eval());
    s.complete_unit(u);
    s.commit();
  }
  const std::string cut = path("cut.h5");
  fs::copy_file(whole, cut);
  fs::resize_file(cut, fs::file_size(whole) / 2);
  EXPECT_THROW(
      {
        const Reader r = Reader::open(cut);
        r.root().group("u").read_vector("big");
      },
      InvalidInput);
  // HDF5, but not ours.
  const std::string foreign = path("foreign.h5");
  { H5::H5File f(foreign, H5F_ACC_TRUNC); }
  try {
    Reader::open(foreign);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("not a batchrmt result"), std::string::npos);
  }
  EXPECT_THROW(Reader::open(path("missing.h5")), InvalidInput);
}

// Run identity, lock, safe overwrite (docs/reliability.md).
TEST_F(StoreTest, ResumeRefusesAnotherIdentityNamingTheFirstDifference) {
  const std::string p = path("id.h5");
  RunIdentity a("simulate spiked-wigner");
  a.set("--trials", std::int64_t{2}).set("--n", std::int64_t{20});
  write_finished_result(p, {"u"}, a);
  RunIdentity b = a;
  b.set("--trials", std::int64_t{50});
  try {
    Store::open(p, provenance(), OpenMode::resume, b);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("--trials is 50 in this command but 2"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(p + ".partial"));
  Store s = Store::open(p, provenance(), OpenMode::resume, a);
  EXPECT_EQ(s.complete_units(), std::vector<std::string>{"/u"});
}

TEST_F(StoreTest, AUnitOfAnotherFingerprintIsNeverReused) {
  const std::string p = path("units.h5");
  RunIdentity a("x");
  a.set("--lanczos-steps", std::int64_t{10});
  RunIdentity b("x");
  b.set("--lanczos-steps", std::int64_t{40});
  {
    Store s = Store::open(p, provenance(), OpenMode::fresh, a);
    Group u = s.begin_unit("u");
    s.complete_unit(u);
    // The root claims identity b (as a file edited or mixed by hand would): its unit is still a's.
    s.set_root_attribute("run_identity", b.canonical());
    s.commit();
  }
  Store s = Store::open(p, provenance(), OpenMode::resume, b);
  EXPECT_TRUE(s.complete_units().empty());
  EXPECT_FALSE(s.is_complete("u"));
  Group u = s.begin_unit("u");  // recomputed under b
  s.complete_unit(u);
  EXPECT_TRUE(s.is_complete("u"));
}

TEST_F(StoreTest, OneWriterPerOutAndOverwriteKeepsTheFinishedFileUntilCommit) {
  const std::string p = path("lock.h5");
  write_finished_result(p, {"old"});
  {
    Store s = Store::open(p, provenance(), OpenMode::overwrite);
    EXPECT_THROW(Store::open(p, provenance(), OpenMode::overwrite), InvalidInput);  // locked
    EXPECT_TRUE(fs::exists(p));  // the finished file is still there
    Group u = s.begin_unit("new");
    s.complete_unit(u);
    s.commit();
  }
  EXPECT_FALSE(fs::exists(p + ".lock"));
  const Reader r = Reader::open(p);
  EXPECT_EQ(r.complete_units(), std::vector<std::string>{"/new"});
  // A store that completed nothing and ends by an exception removes the partial it made.
  try {
    Store s = Store::open(path("empty.h5"), provenance(), OpenMode::fresh);
    throw InvalidInput("rejected");
  } catch (const InvalidInput&) {
  }
  EXPECT_FALSE(fs::exists(path("empty.h5.partial")));
  { Store s = Store::open(path("stopped.h5"), provenance(), OpenMode::fresh); }  // stopped on purpose: kept
  EXPECT_TRUE(fs::exists(path("stopped.h5.partial")));
}

namespace {
struct ColumnRow {
  int epoch = 0;
  bool updated = false;
  double lr = 0;
  std::string regime;
};
}  // namespace

TEST_F(StoreTest, WriteColumnsStoresEachMemberUnderItsNameWithTheDtypeOfItsType) {
  const std::vector<ColumnRow> rows = {{1, true, 0.5, "edge"}, {2, false, 0.25, "outlier"}};
  const std::string p = batchrmt::testing::write_result(path("columns.h5"), [&](Store& s) {
    write_columns(s.root().group("t"), rows, BATCHRMT_MEMBERS(ColumnRow, epoch, updated, lr, regime));
  });
  const Group t = Reader::open(p).root().group("t");
  EXPECT_EQ(t.read_int_vector("epoch"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(t.read_int_vector("updated"), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(t.read_strings("regime"), (std::vector<std::string>{"edge", "outlier"}));
  const Eigen::VectorXd lr = t.read_vector("lr");
  ASSERT_EQ(lr.size(), 2);
  EXPECT_EQ(lr(0), 0.5);
  EXPECT_EQ(lr(1), 0.25);
  H5::H5File f(p, H5F_ACC_RDONLY);
  EXPECT_EQ(f.openDataSet("/t/epoch").getDataType().getClass(), H5T_INTEGER);
  EXPECT_EQ(f.openDataSet("/t/lr").getDataType().getClass(), H5T_FLOAT);
}
