#include "verify/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/enum_names.hpp"
#include "core/checks.hpp"

namespace batchrmt::verify {

namespace {
constexpr EnumNames<Verdict, 5> kVerdictNames{{{Verdict::agrees, "agrees"},
                                               {Verdict::disagrees, "disagrees"},
                                               {Verdict::outside_regime, "outside its regime"},
                                               {Verdict::not_measured, "not measured"},
                                               {Verdict::inconclusive, "inconclusive"}}};
}  // namespace

std::string to_string(Verdict v) { return enum_name(kVerdictNames, v); }
Verdict parse_verdict(const std::string& text) { return parse_enum(kVerdictNames, "verdict", text); }

std::string format_number(double x, int precision) {
  if (std::isnan(x)) return "nan";
  std::ostringstream os;
  os.precision(precision);
  os << x;
  return os.str();
}

ZTest z_test(double prediction, double measurement, double stderr_, double bias_budget, double z_max) {
  check_finite("z_test", "prediction", prediction);
  check_finite("z_test", "measurement", measurement);
  check_positive("z_test", "stderr", stderr_);
  check_nonnegative("z_test", "bias_budget", bias_budget);
  check_positive("z_test", "z_max", z_max);
  const double d = measurement - prediction;
  const double excess = std::max(std::abs(d) - bias_budget, 0.0);
  ZTest t;
  t.z = d / stderr_;
  t.z_excess = excess > 0 ? std::copysign(excess / stderr_, d) : 0.0;  // no signed zero inside the budget
  t.tolerance = z_max * stderr_ + bias_budget;
  t.passed = std::abs(d) <= t.tolerance;
  return t;
}

Judgement judge_against_null(double prediction, double null_value, double measurement, double stderr_, double budget,
                             double z_max) {
  check_finite("judge_against_null", "null_value", null_value);
  const ZTest t = z_test(prediction, measurement, stderr_, budget, z_max);
  Judgement j;
  j.z = t.z;
  j.z_null = (measurement - null_value) / stderr_;
  j.budget = budget;
  j.tolerance = t.tolerance;
  const bool near_null = std::abs(measurement - null_value) <= t.tolerance;
  const std::string tol = "tolerance " + format_number(z_max, 2) + " se + budget " + format_number(budget, 3) + " = " +
                          format_number(t.tolerance, 3);
  if (!t.passed) {
    j.verdict = Verdict::disagrees;
    j.rule = "|z| = " + format_number(std::abs(t.z), 3) + ": the prediction is off by more than the " + tol;
  } else if (near_null) {
    j.verdict = Verdict::inconclusive;
    j.rule = "within the " + tol + " of both the prediction (z = " + format_number(t.z, 3) + ") and the null " +
             format_number(null_value) + " (z = " + format_number(j.z_null, 3) + "): the data cannot tell them apart";
  } else {
    j.verdict = Verdict::agrees;
    j.rule = "within the " + tol + " of the prediction (z = " + format_number(t.z, 3) + "), and the null " +
             format_number(null_value) + " is rejected (z = " + format_number(j.z_null, 3) + ")";
  }
  return j;
}

Verdict judge_direction(double z, double z_min) {
  if (z >= z_min) return Verdict::agrees;
  if (z <= -z_min) return Verdict::disagrees;
  return Verdict::inconclusive;
}

Verdict combine_parts(const std::vector<Verdict>& parts) {
  bool agree = false, inconclusive = false, outside = false;
  for (Verdict v : parts) {
    if (v == Verdict::disagrees) return Verdict::disagrees;
    inconclusive |= v == Verdict::inconclusive;
    agree |= v == Verdict::agrees;
    outside |= v == Verdict::outside_regime;
  }
  if (inconclusive) return Verdict::inconclusive;
  if (agree) return Verdict::agrees;
  if (outside) return Verdict::outside_regime;
  return Verdict::not_measured;
}

}  // namespace batchrmt::verify
