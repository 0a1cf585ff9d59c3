// --resume checks that the file belongs to this command and these options.
#include "tests/reliability/reliability_support.hpp"

namespace batchrmt::reliability {
namespace {

using RunIdentity = Reliability;

TEST_F(RunIdentity, SimulateResumeWithOtherTrialsIsRefusedNamingBothValues) {
  const std::string out = path("w.h5");
  make_result(out, 2);
  const std::string before = read_bytes(out);
  const auto r = run("simulate spiked-wigner --n 20 --trials 50 --resume --out " + out);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "--trials")) << r.err;
  EXPECT_TRUE(contains(r.err, "50") && contains(r.err, " 2 ")) << r.err;
  EXPECT_TRUE(contains(r.err, "--overwrite")) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_EQ(read_bytes(out), before);  // the finished file is untouched
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST_F(RunIdentity, ResumeWithAnotherSeedIsRefused) {
  const std::string out = path("s.h5");
  make_result(out, 2);
  const auto r = run("--seed 5 simulate spiked-wigner --n 20 --trials 2 --resume --out " + out);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "--seed")) << r.err;
}

TEST_F(RunIdentity, ResumeOfAnotherSubcommandsFileIsRefused) {
  const std::string out = path("c.h5");
  const auto made = run("simulate spiked-covariance --p 10 --n 20 --ell 2 --trials 2 --out " + out);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto r = run("simulate spiked-wigner --n 20 --trials 2 --resume --out " + out);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "simulate spiked-covariance")) << r.err;
}

TEST_F(RunIdentity, ResumeWithTheSameOptionsStillWorks) {
  const std::string out = path("same.h5");
  make_result(out, 2);
  // The same options spelt differently (a leading zero, an explicit default) are the same run.
  const auto r = run("simulate spiked-wigner --n 020 --trials 2 --sigma 1.0 --resume --json --out " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "\"n\":20,")) << r.out;  // decimal twenty, not CLI11's octal 16
}

#ifdef BATCHRMT_WITH_TORCH
const std::string kSpectrum =
    "spectrum --dataset synthetic --synthetic-train 200 --seed 1 --quiet --batch-sizes 16 --subsets 2 ";

TEST_F(RunIdentity, SpectrumResumeWithAnotherModelIsRefused) {
  const std::string out = path("sp.h5");
  const auto made = run(kSpectrum + "--model linear --lanczos-steps 10 --out " + out);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto r = run(kSpectrum + "--model mlp --widths 8 --lanczos-steps 10 --resume --out " + out);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "--model") || contains(r.err, "--widths")) << r.err;
}

TEST_F(RunIdentity, SpectrumResumeWithOtherLanczosStepsIsRefused) {
  const std::string out = path("steps.h5");
  const auto made = run(kSpectrum + "--model linear --lanczos-steps 10 --out " + out);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto r = run(kSpectrum + "--model linear --lanczos-steps 40 --resume --out " + out);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "--lanczos-steps is 40")) << r.err;
}

TEST_F(RunIdentity, SimulateCannotResumeASpectrumFile) {
  const std::string out = path("mixed.h5");
  const auto made = run(kSpectrum + "--model linear --lanczos-steps 10 --out " + out);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto r = run("simulate spiked-wigner --n 20 --trials 2 --resume --out " + out);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "'spectrum'")) << r.err;
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
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "config")) << r.err;
  EXPECT_TRUE(contains(r.err, "batchrmt reproduce") && contains(r.err, "--overwrite")) << r.err;
  const auto same = run("reproduce --only V1 --no-plots --resume --config " + a + " --out " + out);
  EXPECT_EQ(same.exit_code, 0) << same.err;
}

}  // namespace
}  // namespace batchrmt::reliability
