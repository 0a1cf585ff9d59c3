// Sizes (the JPEG caps are tested with the loaders): absurd sizes are
// refused before any work, naming the option; LibTorch's failures are one sentence.
#include <chrono>

#include "tests/reliability/reliability_support.hpp"

namespace batchrmt::reliability {
namespace {

using Bounds = Reliability;

#ifdef BATCHRMT_WITH_TORCH
const std::string kSpectrum = "spectrum --model linear --init zeros --dataset synthetic --synthetic-train 200 --quiet --batch-sizes 16 ";

TEST_F(Bounds, AbsurdSpectrumSizesAreRefusedAtOnce) {
  for (const std::string extra : {"--subsets 100000000", "--top-k 100000000", "--lanczos-steps 100000000"}) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = run(kSpectrum + extra + " --out " + path("s.h5"), 120);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.exit_code, 2) << extra << ": " << r.err;
    EXPECT_TRUE(contains(r.err, extra.substr(0, extra.find(' ')))) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_LT(seconds, 60.0) << extra;
    EXPECT_FALSE(fs::exists(path("s.h5.partial"))) << extra;
  }
}

TEST_F(Bounds, AHugeMaxMemoryRefusalNamesTheOption) {
  const auto r = run("--max-memory 1M " + kSpectrum + "--lanczos-steps 20 --out " + path("m.h5"), 120);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "--max-memory")) << r.err;
}

TEST_F(Bounds, HugeWidthsAreOneSentence) {
  const auto r = run("train --model mlp --widths 100000000,100000000 --dataset synthetic --synthetic-train 64 --synthetic-test 16 "
                     "--epochs 1 --quiet --out " + path("t.h5"), 120);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_TRUE(contains(r.err, "--widths")) << r.err;
}
#endif

}  // namespace
}  // namespace batchrmt::reliability
