// Tracy–Widom CDF, moments and quantiles against docs/theory.md §7.3 (Bornemann 2010) and the
// mpmath table tests/theory/reference/tracy_widom.csv.
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "theory/tracy_widom.hpp"
#include "reference_table.hpp"

using namespace batchrmt::theory;

TEST(TracyWidom, F2AtMinusTwoMatchesPublishedValue) {
  // docs/theory.md §7.3: F_2(-2) = 0.413224142505 (12 digits); V6 asks for 1e-10.
  EXPECT_NEAR(tracy_widom_cdf(2, -2.0), 0.413224142505, 1e-11);
}

TEST(TracyWidom, MomentsMatchPublishedConstants) {
  // docs/theory.md §7.3 (Bornemann 2010), 10-13 digits published; bound 1e-8 absolute.
  const auto m1 = tracy_widom_moments(1);
  EXPECT_NEAR(m1.mean, -1.2065335745820, 1e-9);
  EXPECT_NEAR(m1.variance, 1.607781034581, 1e-9);
  EXPECT_NEAR(m1.skewness, 0.29346452408, 1e-8);
  EXPECT_NEAR(m1.excess_kurtosis, 0.1652429384, 1e-8);
  const auto m2 = tracy_widom_moments(2);
  EXPECT_NEAR(m2.mean, -1.771086807411, 1e-9);
  EXPECT_NEAR(m2.variance, 0.8131947928329, 1e-9);
  EXPECT_NEAR(m2.skewness, 0.224084203610, 1e-8);
  EXPECT_NEAR(m2.excess_kurtosis, 0.0934480876, 1e-8);
}
TEST(TracyWidom, FortyNodesGiveTheMomentsTo1e7) {
  // docs/theory.md §7.2 V6: m = 40 nodes, moments to 1e-7.
  TracyWidomOptions opt;
  opt.nodes = 40;
  EXPECT_NEAR(tracy_widom_moments(1, opt).mean, -1.2065335745820, 1e-7);
  EXPECT_NEAR(tracy_widom_moments(2, opt).variance, 0.8131947928329, 1e-7);
}

TEST(TracyWidom, QuantilesMatchTheTable) {
  // docs/theory.md §7.3 quantiles, 4 decimals: bound 1e-4 (half a unit in the last place + margin).
  const double p[] = {0.01, 0.05, 0.10, 0.50, 0.90, 0.95, 0.99};
  const double q1[] = {-3.8954, -3.1804, -2.7824, -1.2686, 0.4501, 0.9793, 2.0234};
  const double q2[] = {-3.7244, -3.1942, -2.9014, -1.8049, -0.5969, -0.2325, 0.4776};
  for (int i = 0; i < 7; ++i) {
    EXPECT_NEAR(tracy_widom_quantile(1, p[i]), q1[i], 1e-4) << "p = " << p[i];
    EXPECT_NEAR(tracy_widom_quantile(2, p[i]), q2[i], 1e-4) << "p = " << p[i];
  }
}

TEST(TracyWidom, CdfMatchesMpmathReference) {
  // tests/theory/reference/tracy_widom.csv: mpmath, 30 digits. Bound: 1e-13 absolute
  // (double-precision determinant of a 60 x 60 matrix with O(1) entries).
  const auto rows = batchrmt::test::read_reference("tracy_widom.csv");
  ASSERT_FALSE(rows.empty());
  for (const auto& r : rows) {
    const int beta = static_cast<int>(r.at("beta"));
    const double s = r.at("s");
    EXPECT_NEAR(tracy_widom_cdf(beta, s), r.at("F"), 1e-13) << "beta " << beta << " s " << s;
  }
}

TEST(TracyWidom, PdfIntegratesToCdfIncrements) {
  // Simpson on [-3, -1] of the finite-difference pdf vs F(-1) - F(-3); bound 1e-8
  // (Simpson with 100 panels, h = 0.02: error ~ h^4 max|f^(4)|/180 ~ 1e-9).
  for (int beta : {1, 2}) {
    const int n = 100;
    const double a = -3.0, b = -1.0, h = (b - a) / n;
    double sum = tracy_widom_pdf(beta, a) + tracy_widom_pdf(beta, b);
    for (int i = 1; i < n; ++i) sum += (i % 2 ? 4.0 : 2.0) * tracy_widom_pdf(beta, a + i * h);
    EXPECT_NEAR(sum * h / 3.0, tracy_widom_cdf(beta, b) - tracy_widom_cdf(beta, a), 1e-8);
  }
}

TEST(TracyWidom, BadInputIsRejected) {
  EXPECT_THROW(tracy_widom_cdf(3, 0.0), batchrmt::InvalidInput);
  EXPECT_THROW(tracy_widom_quantile(2, 1.0), batchrmt::InvalidInput);
  EXPECT_THROW(tracy_widom_quantile(2, 0.0), batchrmt::InvalidInput);
}

TEST(EdgeScaling, WishartMatchesTheSquareRootEdgeRuleAtLargeSize) {
  // docs/theory.md §2.4: the MP edge constant reproduces Johnstone's scale to leading order.
  const double n = 4e6, m = 8e6, gamma = n / m;
  const auto j = wishart_edge_scaling(n, m, true);
  const double sg = std::sqrt(gamma);
  const double c = std::pow(gamma, -0.75) / ((1 + sg) * (1 + sg));
  const auto g = square_root_edge_scaling((1 + sg) * (1 + sg), c, n);
  // relative difference O(1/n) from the -1/2 shifts
  EXPECT_NEAR(j.scale / g.scale, 1.0, 1e-6);
  EXPECT_NEAR(j.center / g.center, 1.0, 1e-6);
  const auto w = wigner_edge_scaling(1000.0, 2.0);
  EXPECT_DOUBLE_EQ(w.center, 4.0);
  EXPECT_NEAR(w.scale, 0.02, 1e-15);
}
