// Results without a measurement, and the weighted line fits the claims use.
#include <algorithm>
#include <cmath>

#include "verify/claims.hpp"

namespace batchrmt::verify {

ClaimResult not_measured(const std::string& id, const std::string& name, const std::string& reason) {
  ClaimResult r;
  r.id = id;
  r.name = name;
  r.verdict = Verdict::not_measured;
  r.note = reason;
  return r;
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

// Weighted least squares (Bevington & Robinson, Data Reduction and Error Analysis, §6.3);
// the slope's standard error is inflated by sqrt(chi^2/dof) when the scatter exceeds the
// stated errors (never deflated).
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

}  // namespace batchrmt::verify
