// Sample statistics (core/statistics.hpp).
#include "core/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/errors.hpp"

namespace batchrmt {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

SampleSummary summarize(const double* values, std::size_t count, std::size_t population) {
  SampleSummary s;
  s.count = count;
  s.mean = s.sd = s.stderr_ = kNaN;
  if (count == 0) return s;
  const double n = static_cast<double>(count);
  double sum = 0.0;
  for (std::size_t i = 0; i < count; ++i) sum += values[i];
  s.mean = sum / n;
  if (count < 2) return s;
  double ss = 0.0;
  for (std::size_t i = 0; i < count; ++i) ss += (values[i] - s.mean) * (values[i] - s.mean);
  const double var = ss / static_cast<double>(count - 1);
  const double fpc = population > 0 ? std::max(0.0, 1.0 - n / static_cast<double>(population)) : 1.0;
  s.sd = std::sqrt(var);
  s.stderr_ = std::sqrt(var / n * fpc);
  return s;
}

SampleSummary summarize(const std::vector<double>& values, std::size_t population) {
  return summarize(values.data(), values.size(), population);
}

double z_score(double prediction, double measurement, double se) {
  if (!(std::isfinite(prediction) && std::isfinite(measurement) && std::isfinite(se) && se > 0)) return kNaN;
  return (measurement - prediction) / se;
}

LineFit fit_through_origin(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& se) {
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double w = 1.0 / (se[i] * se[i]);
    sxx += w * x[i] * x[i];
    sxy += w * x[i] * y[i];
  }
  LineFit f;
  f.points = x.size();
  f.slope = sxy / sxx;
  f.slope_se = 1.0 / std::sqrt(sxx);
  return f;
}

LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& se) {
  double S = 0, Sx = 0, Sy = 0, Sxx = 0, Sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double w = 1.0 / (se[i] * se[i]);
    S += w;
    Sx += w * x[i];
    Sy += w * y[i];
    Sxx += w * x[i] * x[i];
    Sxy += w * x[i] * y[i];
  }
  const double delta = S * Sxx - Sx * Sx;
  LineFit f;
  f.points = x.size();
  f.slope = (S * Sxy - Sx * Sy) / delta;
  f.intercept = (Sxx * Sy - Sx * Sxy) / delta;
  double chi2 = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = (y[i] - f.intercept - f.slope * x[i]) / se[i];
    chi2 += r * r;
  }
  const double inflate = x.size() > 2 ? std::max(1.0, std::sqrt(chi2 / static_cast<double>(x.size() - 2))) : 1.0;
  f.slope_se = std::sqrt(S / delta) * inflate;
  return f;
}

double kolmogorov_tail(double x) {
  if (x <= 0.2) return 1.0;
  double sum = 0.0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * x * x);
    sum += (k % 2 ? 1.0 : -1.0) * term;
    if (term < 1e-18) break;
  }
  return std::clamp(2.0 * sum, 0.0, 1.0);
}

KsResult ks_two_sample(std::vector<double> a, std::vector<double> b) {
  if (a.empty() || b.empty()) throw InvalidInput("ks_two_sample: both samples must be non-empty.");
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::size_t i = 0, j = 0;
  double d = 0.0;
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  KsResult r;
  r.statistic = d;
  r.p_value = kolmogorov_tail(d * std::sqrt(na * nb / (na + nb)));
  return r;
}

}  // namespace batchrmt
