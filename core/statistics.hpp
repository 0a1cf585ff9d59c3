// Sample statistics every layer uses (docs/theory.md 7.1): mean, sample standard deviation and
// standard error (with the finite-population correction of a sample drawn without replacement),
// the signed z-score, weighted least-squares lines, and the two-sample Kolmogorov–Smirnov test.
// The verdicts built on them live in verify/statistics.hpp.
#pragma once

#include <cstddef>
#include <vector>

namespace batchrmt {

struct SampleSummary {
  std::size_t count = 0;
  double mean = 0.0;
  double sd = 0.0;       // sample standard deviation (divisor count - 1)
  double stderr_ = 0.0;  // standard error of the mean
};

// mean = sum x / n (summed in order); sd = sqrt(S^2), S^2 = sum (x - mean)^2 / (n - 1) (second
// pass); stderr = sqrt(S^2 / n * fpc), with fpc = max(0, 1 - n / population) for a sample drawn
// without replacement from `population` items (Cochran 1977, Thm 2.2) and fpc = 1 when
// population is 0 (i.i.d. samples). NaN: all three with no values; sd and stderr with one value.
SampleSummary summarize(const double* values, std::size_t count, std::size_t population = 0);
SampleSummary summarize(const std::vector<double>& values, std::size_t population = 0);

// The signed z = (measurement - prediction) / se, never clamped; NaN when se is not positive or
// an input is not finite.
double z_score(double prediction, double measurement, double se);

// A fitted line y = intercept + slope x (intercept 0 through the origin) with the slope's
// standard error.
struct LineFit {
  double intercept = 0.0, slope = 0.0, slope_se = 0.0;
  std::size_t points = 0;
};
// Weighted least squares through the origin, weights 1/se^2: slope = sum w x y / sum w x^2,
// slope_se = 1 / sqrt(sum w x^2). No points (or all x zero) gives NaN slope and infinite se.
LineFit fit_through_origin(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& se);
// Weighted least squares y = a + b x, weights 1/se^2 (Bevington & Robinson, Data Reduction and
// Error Analysis, §6.3): se(b) = sqrt(S / Delta), inflated by sqrt(chi^2 / (n - 2)) when the
// scatter exceeds the stated errors (never deflated; no inflation with two points). Fewer than
// two distinct x give Delta = 0 and NaN or infinite slope and se.
LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& se);

// Kolmogorov distribution tail Q(x) = P(K > x) = 2 sum_{k>=1} (-1)^{k-1} exp(-2 k^2 x^2)
// (Marsaglia, Tsang & Wang 2003, J. Stat. Softw. 8(18); the series converges for x > 0.2,
// below that Q = 1 to double precision).
double kolmogorov_tail(double x);

struct KsResult {
  double statistic = 0.0;  // D = sup |F_1 - F_2|
  double p_value = 1.0;    // asymptotic: Q(D sqrt(n m / (n + m)))
};
// Two-sample Kolmogorov–Smirnov test (asymptotic p-value; use n, m >= 100). InvalidInput when a
// sample is empty.
KsResult ks_two_sample(std::vector<double> a, std::vector<double> b);

}  // namespace batchrmt
