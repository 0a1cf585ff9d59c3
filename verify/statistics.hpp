// Statistics behind every verdict (docs/theory.md 7.1): sample summaries with between-sample
// standard errors, z-scores with an explicit bias budget, and the verdict vocabulary.
#pragma once

#include <string>
#include <vector>

namespace batchrmt::verify {

// `inconclusive`: the data cannot decide (the measurement lies within the tolerance of both the
// prediction and the null), or the result depends on an arbitrary rule. Appended last so that the
// integer codes of the earlier verdicts (sent between MPI ranks) are unchanged.
enum class Verdict { agrees, disagrees, outside_regime, not_measured, inconclusive };

// A number for the notes of a verdict, with `precision` significant digits ("nan" for NaN).
std::string format_number(double x, int precision = 4);

// "agrees", "disagrees", "outside its regime", "not measured", "inconclusive" (the report's words).
std::string to_string(Verdict v);
// The verdict named by to_string's text; InvalidInput for any other text.
Verdict parse_verdict(const std::string& text);

struct SampleSummary {
  std::size_t count = 0;
  double mean = 0.0;
  double sd = 0.0;       // sample standard deviation (divisor count - 1)
  double stderr_ = 0.0;  // sd / sqrt(count)
};

// Mean, sd and standard error of i.i.d. samples (Welford's update, Knuth TAOCP 4.2.2).
// Needs at least two values for sd; with one, sd and stderr are NaN.
SampleSummary summarize(const std::vector<double>& values);

struct ZTest {
  double z = 0.0;          // (measurement - prediction) / stderr
  double z_excess = 0.0;   // sign(d) max(|d| - bias_budget, 0) / stderr
  double tolerance = 0.0;  // z_max * stderr + bias_budget, in the units of the measurement
  bool passed = false;
};

// Two-sided z-test of a measurement against a prediction: passes iff
// |measurement - prediction| <= z_max * stderr + bias_budget. The bias budget is the
// finite-size correction the caller states (docs/theory.md 7.4); the reported z is the plain
// (measurement - prediction) / stderr, signed and never clamped, so that it can be read beside
// the budget (z_excess: the part of |d| beyond the budget, in units of stderr, signed).
ZTest z_test(double prediction, double measurement, double stderr_, double bias_budget, double z_max = 4.0);

// The plain signed z = (measurement - prediction) / stderr, never clamped (NaN when stderr is not
// positive or an input is not finite).
double raw_z(double prediction, double measurement, double stderr_);

// A measurement judged against the prediction under test and a null (no effect, or the competing
// law), both with tolerance z_max * stderr + budget:
//   disagrees     |m - prediction| > tolerance;
//   inconclusive  within the tolerance of the prediction AND of the null (the data cannot tell
//                 them apart);
//   agrees        within the tolerance of the prediction only.
// `z` and `z_null` are raw (signed, unclamped); `rule` says in words how the verdict came about.
struct Judgement {
  Verdict verdict = Verdict::not_measured;
  double z = 0.0, z_null = 0.0;  // (m - prediction) / se, (m - null) / se
  double budget = 0.0, tolerance = 0.0;
  std::string rule;
};
Judgement judge_against_null(double prediction, double null_value, double measurement, double stderr_, double budget,
                             double z_max = 4.0);

// Verdict of a claim with parts: disagrees if any part disagrees; else inconclusive if any part is
// inconclusive; else agrees if at least one part agrees; else outside its regime if any part is;
// else not measured.
Verdict combine_parts(const std::vector<Verdict>& parts);

}  // namespace batchrmt::verify

namespace batchrmt::verify {

// Kolmogorov distribution tail Q(x) = P(K > x) = 2 sum_{k>=1} (-1)^{k-1} exp(-2 k^2 x^2)
// (Marsaglia, Tsang & Wang 2003, J. Stat. Softw. 8(18); the series converges for x > 0.2,
// below that Q = 1 to double precision).
double kolmogorov_tail(double x);

struct KsResult {
  double statistic = 0.0;  // D = sup |F_1 - F_2|
  double p_value = 1.0;    // asymptotic: Q(D sqrt(n m / (n + m)))
};
// Two-sample Kolmogorov–Smirnov test (asymptotic p-value; use n, m >= 100).
KsResult ks_two_sample(std::vector<double> a, std::vector<double> b);

}  // namespace batchrmt::verify
