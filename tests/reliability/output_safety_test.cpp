// One run per --out, finished files never lost or renamed, and a
// rejected run leaves nothing behind that blocks the corrected one.
#include <signal.h>
#include <sys/file.h>

#include <chrono>
#include <thread>

#include "tests/reliability/reliability_support.hpp"

namespace batchrmt::reliability {
namespace {

using OutputSafety = Reliability;

TEST_F(OutputSafety, ASecondRunOnALockedOutIsRefusedAndTouchesNothing) {
  const std::string out = finished_result("a.h5");
  const std::string before = read_bytes(out);
  // Run A "is running": it holds NAME.h5.lock (as a batchrmt run does for its whole length).
  const int fd = ::open((out + ".lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  const auto b = run("simulate spiked-wigner --n 20 --trials 3 --overwrite --out " + out);
  ::close(fd);
  EXPECT_EQ(b.exit_code, 2) << b.err;
  EXPECT_TRUE(contains(b.err, "another batchrmt run")) << b.err;
  EXPECT_EQ(read_bytes(out), before);
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST_F(OutputSafety, OverwriteKilledMidRunKeepsTheFinishedFile) {
  const std::string out = finished_result("keep.h5");
  const std::string before = read_bytes(out);
  // A long overwrite run, killed with SIGKILL once it has started writing.
  const std::string cmd = cli_path() + " simulate spiked-wigner --n 200 --trials 1000000 --overwrite --out " + out +
                          " >/dev/null 2>&1 & echo $!";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  long pid = 0;
  ASSERT_EQ(std::fscanf(p, "%ld", &pid), 1);
  ::pclose(p);
  for (int i = 0; i < 600 && !fs::exists(out + ".partial"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  for (int i = 0; i < 100 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(out));
  EXPECT_EQ(read_bytes(out), before);  // A's finished result is intact
}

TEST_F(OutputSafety, RejectedLrSweepLeavesNoPartialAndSaysSo) {
#ifdef BATCHRMT_WITH_TORCH
  const std::string out = path("lr.h5");
  const auto r = run("lr-sweep --model linear --dataset synthetic --synthetic-train 200 --batch-sizes 8 --lr-min 1 --lr-max 0.1 --quiet --out " + out, 120);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "--lr-max is 0.1")) << r.err;
  EXPECT_FALSE(contains(r.err, "must lie in [1, 0.1]")) << r.err;
  EXPECT_FALSE(fs::exists(out + ".partial"));
  EXPECT_FALSE(fs::exists(out));
  for (const std::string bad : {"--growth 1", "--seeds 0", "--lr-min 0"}) {
    const auto b = run("lr-sweep --model linear --dataset synthetic --synthetic-train 200 --batch-sizes 8 --quiet " + bad + " --out " + out, 120);
    EXPECT_EQ(b.exit_code, 2) << bad << ": " << b.err;
    EXPECT_FALSE(fs::exists(out + ".partial")) << bad;
  }
#else
  GTEST_SKIP() << "built without LibTorch";
#endif
}

TEST_F(OutputSafety, ARunThatFailsBeforeAnyUnitLeavesNoPartial) {
  // A run whose first unit fails (NaN from out-of-range parameters) stores nothing.
  const std::string out = path("nan.h5");
  const auto r = run("simulate spiked-wigner --n 20 --trials 2 --sigma 1e300 --theta 1e300 --out " + out);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_FALSE(fs::exists(out + ".partial"));
  EXPECT_FALSE(fs::exists(out));
  const auto fixed = run("simulate spiked-wigner --n 20 --trials 2 --out " + out);
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
}

TEST_F(OutputSafety, ResumeOnACorruptFinishedFileNeitherRenamesNorChangesIt) {
  const std::string out = path("x.h5");
  write_text(out, std::string(8192, 'x'));
  const auto r = run("simulate spiked-wigner --n 20 --trials 2 --resume --out " + out);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(fs::exists(out));
  EXPECT_EQ(read_bytes(out), std::string(8192, 'x'));
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST_F(OutputSafety, OutNamingADirectoryIsRefusedBeforeWorkAndNotRenamed) {
  const std::string out = path("d.h5");
  fs::create_directories(out);
  const auto resume = run("simulate spiked-wigner --n 20 --trials 2 --resume --out " + out);
  EXPECT_EQ(resume.exit_code, 2) << resume.err;
  EXPECT_TRUE(fs::is_directory(out));
  EXPECT_FALSE(fs::exists(out + ".partial"));
  const auto t0 = std::chrono::steady_clock::now();
  const auto over = run("simulate spiked-wigner --n 300 --trials 3000 --overwrite --out " + out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(over.exit_code, 2) << over.err;
  EXPECT_LT(seconds, 20.0);  // refused before the 3000 trials, not after them
  EXPECT_TRUE(fs::is_directory(out));
}

}  // namespace
}  // namespace batchrmt::reliability
