// Numeric guards, inputs that must be refused, messages, exit codes (docs/reliability.md).
#include "tests/reliability/reliability_support.hpp"

namespace batchrmt::reliability {
namespace {

using InputChecks = Reliability;

TEST_F(InputChecks, ExtremeSamplerParametersNeverGiveAFinishedNaN) {
  const std::string base = "simulate spiked-covariance --p 10 --n 20 --ell 2 --trials 2 --method bidiagonal ";
  for (const std::string extra : {"--beta 1e300", "--beta 1e-300"}) {
    const std::string out = path("cov.h5");
    const auto r = run(base + extra + " --json --out " + out);
    EXPECT_EQ(r.exit_code, 2) << extra << ": " << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "--beta")) << r.err;
    EXPECT_FALSE(fs::exists(out)) << extra;
    EXPECT_FALSE(fs::exists(out + ".partial")) << extra;
  }
  const std::string out = path("w.h5");
  const auto r = run("simulate spiked-wigner --n 20 --trials 2 --sigma 1e300 --theta 1e300 --json --out " + out);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(InputChecks, ValuesThatDoNotFitAreRefused) {
  for (const std::string seed : {"18446744073709551616", "-1", "1.5"}) {
    const auto r = run("--seed " + seed + " simulate spiked-wigner --n 20 --trials 2");
    EXPECT_EQ(r.exit_code, 2) << seed << ": " << r.out;
    EXPECT_TRUE(contains(r.err, seed)) << r.err;
  }
  const auto p = run("simulate batch-hessian --P 100.5 --N 50 --B 5 --trials 2");
  EXPECT_EQ(p.exit_code, 2) << p.out;
  EXPECT_TRUE(contains(p.err, "100.5")) << p.err;
  const auto t = run("simulate spiked-wigner --n 100 --trials 2 --method tridiagonal --truncate 1000");
  EXPECT_EQ(t.exit_code, 2) << t.out;
  EXPECT_TRUE(contains(t.err, "--truncate")) << t.err;
#ifdef BATCHRMT_WITH_TORCH
  const auto w = run("learn --model linear --dataset synthetic --epochs 1 --warmstart -5 --out " + path("l.h5"));
  EXPECT_EQ(w.exit_code, 2) << w.out << w.err;
  EXPECT_TRUE(contains(w.err, "--warmstart")) << w.err;
#endif
}

TEST_F(InputChecks, MessagesNameWhatWasTyped) {
  const auto N = run("simulate batch-hessian --P 10 --N 99999999999999999999 --B 5 --trials 2");
  EXPECT_EQ(N.exit_code, 2);
  EXPECT_TRUE(contains(N.err, "99999999999999999999") && contains(N.err, "too large")) << N.err;
  const auto n = run("simulate spiked-wigner --n 9223372036854775808 --trials 2");
  EXPECT_EQ(n.exit_code, 2);
  EXPECT_TRUE(contains(n.err, "9223372036854775808")) << n.err;
  // `report ""` writes nothing into the current folder.
  const auto empty = run("report ''", 60, "cd " + dir.string() + " &&");
  EXPECT_EQ(empty.exit_code, 2) << empty.err;
  EXPECT_FALSE(fs::exists(dir / "plot.log"));
  EXPECT_TRUE(fs::is_empty(dir));
  // A valid result that is not a golden file is named as such, not as "truncated".
  make_result(path("r.h5"), 2);
  const auto golden = run("verify regression --golden " + path("r.h5"));
  EXPECT_EQ(golden.exit_code, 2) << golden.err;
  EXPECT_TRUE(contains(golden.err, "not a golden")) << golden.err;
  EXPECT_FALSE(contains(golden.err, "truncated")) << golden.err;
  // --json errors are JSON on stdout too.
  const auto j = run("--json simulate spiked-wigner --n 1 --trials 2");
  EXPECT_EQ(j.exit_code, 2);
  EXPECT_TRUE(contains(j.out, "\"error\"")) << j.out;
}

// Memory that runs out despite the up-front estimate is exit 1, and the message names the value
// that asked for it. The address-space limit (ulimit -v) stands in for a smaller machine;
// AddressSanitizer reserves terabytes of address space, so the check runs in the other builds.
#if !defined(__SANITIZE_ADDRESS__)
TEST_F(InputChecks, OutOfMemoryNamesTheValue) {
  const auto r = run("simulate spiked-wigner --n 20000 --trials 2 --method dense --out " + path("big.h5"), 120,
                     "ulimit -v 1500000 &&");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "out of memory") && contains(r.err, "20000")) << r.err;
  EXPECT_FALSE(fs::exists(path("big.h5")));
}
#endif

#ifdef BATCHRMT_WITH_TORCH
// lr-sweep --no-prediction skips the spectrum, not the model: P is still the parameter count.
TEST_F(InputChecks, NoPredictionStillReportsP) {
  const auto r = run("--json lr-sweep --model linear --dataset synthetic --synthetic-train 200 --batch-sizes 8 "
                     "--no-prediction --seeds 1 --quiet --out " + path("s.h5"), 300);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "\"P\":") && !contains(r.out, "\"P\":0")) << r.out;
}
#endif

TEST_F(InputChecks, BadInputIsExit2) {
  EXPECT_EQ(run("reproduce --only V1 --config " + path("none.toml")).exit_code, 2);
  EXPECT_EQ(run("inspect " + path("none.h5")).exit_code, 2);
  EXPECT_EQ(run("report " + path("none.h5")).exit_code, 2);
}

}  // namespace
}  // namespace batchrmt::reliability
