#include "verify/statistics.hpp"

#include <cmath>
#include <limits>

#include "core/checks.hpp"

namespace batchrmt::verify {

std::string to_string(Verdict v) {
  switch (v) {
    case Verdict::agrees: return "agrees";
    case Verdict::disagrees: return "disagrees";
    case Verdict::outside_regime: return "outside its regime";
    case Verdict::not_measured: return "not measured";
  }
  return "unknown";
}

SampleSummary summarize(const std::vector<double>& values) {
  SampleSummary s;
  double mean = 0.0, m2 = 0.0;
  for (double x : values) {
    ++s.count;
    const double delta = x - mean;
    mean += delta / static_cast<double>(s.count);
    m2 += delta * (x - mean);
  }
  s.mean = s.count ? mean : std::numeric_limits<double>::quiet_NaN();
  if (s.count >= 2) {
    s.sd = std::sqrt(m2 / static_cast<double>(s.count - 1));
    s.stderr_ = s.sd / std::sqrt(static_cast<double>(s.count));
  } else {
    s.sd = s.stderr_ = std::numeric_limits<double>::quiet_NaN();
  }
  return s;
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
  t.z = std::copysign(excess / stderr_, d);
  t.tolerance = z_max * stderr_ + bias_budget;
  t.passed = std::abs(d) <= t.tolerance;
  return t;
}

}  // namespace batchrmt::verify
