// Verdicts (docs/theory.md 7.1): z-tests with an explicit bias budget, judgements against a null
// and the verdict vocabulary. The sample arithmetic under them (summaries, z-scores, line fits,
// Kolmogorov–Smirnov) is core/statistics.hpp.
#pragma once

#include <string>
#include <vector>

#include "core/statistics.hpp"

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

// A predicted direction (a sign, not a value) from the z of the effect: agrees when z >= z_min,
// disagrees when z <= -z_min (the opposite sign), inconclusive between.
Verdict judge_direction(double z, double z_min = 4.0);

// Verdict of a claim with parts: disagrees if any part disagrees; else inconclusive if any part is
// inconclusive; else agrees if at least one part agrees; else outside its regime if any part is;
// else not measured.
Verdict combine_parts(const std::vector<Verdict>& parts);

}  // namespace batchrmt::verify
