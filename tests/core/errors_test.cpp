#include <gtest/gtest.h>

#include <new>

#include "core/checks.hpp"
#include "core/errors.hpp"

using namespace batchrmt;

TEST(Errors, ExitCodesFollowTheKindOfError) {
  EXPECT_EQ(exit_code_for(InvalidInput("x")), 2);
  EXPECT_EQ(exit_code_for(NumericalFailure("x")), 1);
  EXPECT_EQ(exit_code_for(IoError("x")), 1);
  EXPECT_EQ(exit_code_for(std::bad_alloc()), 1);
  EXPECT_EQ(exit_code_for(std::runtime_error("x")), 1);
}

TEST(Checks, MessagesNameFunctionArgumentValueAndConstraint) {
  try {
    check_positive("kappa_factor", "B", -3.5);
    FAIL() << "no exception";
  } catch (const InvalidInput& e) {
    EXPECT_STREQ(e.what(), "kappa_factor: B is -3.5, but must be positive and finite.");
  }
  try {
    check_bounded("overlap", "gamma", 2.0, 0.0, 1.0);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_STREQ(e.what(), "overlap: gamma is 2, but must lie in [0, 1].");
  }
  try {
    check_one_of<std::string>("lanczos", "start", "uniform", {"gaussian", "rademacher"});
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_STREQ(e.what(), "lanczos: start is uniform, but must be one of gaussian, rademacher.");
  }
}

TEST(Checks, AcceptValidAndRejectNonFinite) {
  EXPECT_NO_THROW(check_positive("f", "x", 1e-300));
  EXPECT_NO_THROW(check_nonnegative("f", "x", 0.0));
  EXPECT_NO_THROW(check_at_least("f", "n", 3, 2));
  EXPECT_NO_THROW(check_size_match("f", "a", 3, "b", 3));
  EXPECT_THROW(check_positive("f", "x", std::nan("")), InvalidInput);
  EXPECT_THROW(check_finite("f", "x", HUGE_VAL), InvalidInput);
  EXPECT_THROW(check_nonnegative("f", "x", -0.1), InvalidInput);
  EXPECT_THROW(check_at_most("f", "B", 11, 10), InvalidInput);
  EXPECT_THROW(check_size_match("f", "a", 3, "b", 4), InvalidInput);
}
