// A corrupt result file gets one sentence and exit 2, never a hang.
#include "tests/reliability/reliability_support.hpp"

namespace batchrmt::reliability {
namespace {

using CorruptFile = Reliability;

// Zeroes 8 KiB at offset 4096 of a good result file (the case that made libhdf5 spin).
std::string corrupt_copy(const std::string& good, const std::string& bad) {
  std::string bytes = read_bytes(good);
  if (bytes.size() < 4096 + 8192) bytes.resize(4096 + 8192, '\0');
  std::fill(bytes.begin() + 4096, bytes.begin() + 4096 + 8192, '\0');
  std::ofstream(bad, std::ios::binary) << bytes;
  return bad;
}

#ifdef BATCHRMT_WITH_TORCH
// A spectrum result: zeroing its bytes 4096..12287 made libhdf5 1.10.8 loop forever in
// H5Aread -> H5HG_read (checked against the build before this fix: both commands ran until killed).
TEST_F(CorruptFile, InspectAndReportOfAZeroedRegionEndWithExit2) {
  const std::string good = path("good.h5");
  const auto made = run("spectrum --model linear --init zeros --dataset synthetic --synthetic-train 200 --seed 1 --quiet "
                        "--batch-sizes 16 --subsets 2 --lanczos-steps 10 --out " + good);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string bad = corrupt_copy(good, path("bad.h5"));
  // The time limit of the isolated read, shortened for the test; the outer limit catches a hang.
  const std::string env = "BATCHRMT_HDF5_CHECK_SECONDS=5";
  const auto inspect = run("inspect " + bad, 60, env);
  EXPECT_EQ(inspect.exit_code, 2) << inspect.out << inspect.err;
  EXPECT_EQ(lines(inspect.err), 1) << inspect.err;
  const auto report = run("report --no-plots " + bad, 60, env);
  EXPECT_EQ(report.exit_code, 2) << report.out << report.err;
  EXPECT_EQ(lines(report.err), 1) << report.err;
  EXPECT_FALSE(fs::exists(path("bad/report.md")));

  // The isolated walk dies with its parent: `inspect` killed with SIGKILL while libhdf5 loops in
  // the walk leaves no process behind (a fuzzing campaign once left such a child spinning).
  const std::string marker = path("bad.h5");
  // (The path goes through a variable, so that the shell's own command line does not match.)
  const std::string cmd = "m='" + marker + "'; BATCHRMT_HDF5_CHECK_SECONDS=60 " + cli_path() +
                          " inspect \"$m\" >/dev/null 2>&1 & pid=$!; sleep 2; kill -9 $pid; wait $pid 2>/dev/null; "
                          "sleep 1; pgrep -f \"inspect $m\" >/dev/null && echo left || echo none";
  const auto rc = run_shell(cmd);
  EXPECT_EQ(rc, "none") << "a walk outlived its killed parent";
  if (rc != "none") (void)std::system(("m='" + marker + "'; pkill -9 -f \"inspect $m\"").c_str());
}
#endif

TEST_F(CorruptFile, MissingAndForeignResultFilesAreBadInput) {
  EXPECT_EQ(run("inspect " + path("none.h5")).exit_code, 2);
  write_text(path("junk.h5"), "not hdf5 at all");
  EXPECT_EQ(run("inspect " + path("junk.h5")).exit_code, 2);
  EXPECT_EQ(run("report --no-plots " + path("none.h5")).exit_code, 2);
}

}  // namespace
}  // namespace batchrmt::reliability
