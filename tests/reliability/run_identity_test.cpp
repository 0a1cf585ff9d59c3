// --resume checks that the file belongs to this command and these options.
#include "tests/reliability/reliability_support.hpp"

namespace batchrmt::reliability {
namespace {

#ifdef BATCHRMT_WITH_TORCH
const std::string kSpectrum =
    "spectrum --dataset synthetic --synthetic-train 200 --seed 1 --quiet --batch-sizes 16 --subsets 2 ";
#endif

class RunIdentity : public Reliability {
 protected:
#ifdef BATCHRMT_WITH_TORCH
  // A finished spectrum of the linear model (10 Lanczos steps) at `out`.
  static void make_linear_spectrum(const std::string& out) {
    const auto made = run(kSpectrum + "--model linear --lanczos-steps 10 --out " + out);
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
#endif
};

TEST_F(RunIdentity, SimulateResumeWithOtherTrialsIsRefusedNamingBothValues) {
  const std::string out = finished_result("w.h5");
  const std::string before = read_bytes(out);
  const auto r = run("simulate spiked-wigner --n 20 --trials 50 --resume --out " + out);
  expect_refused_naming(r, {"--trials", "50", " 2 ", "--overwrite"});
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_EQ(read_bytes(out), before);  // the finished file is untouched
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST_F(RunIdentity, ResumeWithAnotherSeedIsRefused) {
  const std::string out = finished_result("s.h5");
  expect_refused_naming(run("--seed 5 simulate spiked-wigner --n 20 --trials 2 --resume --out " + out), {"--seed"});
}

TEST_F(RunIdentity, ResumeOfAnotherSubcommandsFileIsRefused) {
  const std::string out = path("c.h5");
  const auto made = run("simulate spiked-covariance --p 10 --n 20 --ell 2 --trials 2 --out " + out);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  expect_refused_naming(run("simulate spiked-wigner --n 20 --trials 2 --resume --out " + out), {"simulate spiked-covariance"});
}

TEST_F(RunIdentity, ResumeWithTheSameOptionsStillWorks) {
  const std::string out = finished_result("same.h5");
  // The same options spelt differently (a leading zero, an explicit default) are the same run.
  const auto r = run("simulate spiked-wigner --n 020 --trials 2 --sigma 1.0 --resume --json --out " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "\"n\":20,")) << r.out;  // decimal twenty, not CLI11's octal 16
}

#ifdef BATCHRMT_WITH_TORCH
TEST_F(RunIdentity, SpectrumResumeWithAnotherModelIsRefused) {
  const std::string out = path("sp.h5");
  ASSERT_NO_FATAL_FAILURE(make_linear_spectrum(out));
  const auto r = run(kSpectrum + "--model mlp --widths 8 --lanczos-steps 10 --resume --out " + out);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "--model") || contains(r.err, "--widths")) << r.err;
}

TEST_F(RunIdentity, SpectrumResumeWithOtherLanczosStepsIsRefused) {
  const std::string out = path("steps.h5");
  ASSERT_NO_FATAL_FAILURE(make_linear_spectrum(out));
  expect_refused_naming(run(kSpectrum + "--model linear --lanczos-steps 40 --resume --out " + out), {"--lanczos-steps is 40"});
}

TEST_F(RunIdentity, SimulateCannotResumeASpectrumFile) {
  const std::string out = path("mixed.h5");
  ASSERT_NO_FATAL_FAILURE(make_linear_spectrum(out));
  expect_refused_naming(run("simulate spiked-wigner --n 20 --trials 2 --resume --out " + out), {"'spectrum'"});
}
#endif

TEST_F(RunIdentity, ReproduceFromAnotherConfigIsRefusedNamingTheFreshStart) {
  const std::string out = path("rep.h5");
  const std::string a = path("a.toml"), b = path("b.toml");
  write_text(a, "[v1]\nn = 20\ntrials = 10\n");
  write_text(b, "[v1]\nn = 30\ntrials = 10\n");
  const auto made = run("reproduce --only V1 --no-plots --config " + a + " --out " + out);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto r = run("reproduce --only V1 --no-plots --resume --config " + b + " --out " + out);
  expect_refused_naming(r, {"config", "batchrmt reproduce", "--overwrite"});
  const auto same = run("reproduce --only V1 --no-plots --resume --config " + a + " --out " + out);
  EXPECT_EQ(same.exit_code, 0) << same.err;
}

}  // namespace
}  // namespace batchrmt::reliability
