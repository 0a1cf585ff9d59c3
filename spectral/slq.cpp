// Stochastic Lanczos quadrature and Hutchinson estimators. See slq.hpp and docs/theory.md 5.6, 5.8.
#include "spectral/slq.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"
#include "core/statistics.hpp"
#include "spectral/detail_util.hpp"

namespace batchrmt::spectral {

using detail::Clock;
using detail::seconds_since;

const char* to_string(Broadening b) {
  return b == Broadening::StandardDeviation ? "gaussian_standard_deviation" : "ghorbani2019_variance";
}

Estimate mean_and_std_error(const std::vector<double>& samples) {
  const SampleSummary s = summarize(samples);
  Estimate e;
  e.samples = s.count;
  e.value = s.mean;
  e.std_error = s.stderr_;
  return e;
}

namespace {
void check_probe(const char* fn, StartVector p) {
  if (p == StartVector::Given)
    throw InvalidInput(std::string(fn) + ": probe is given, but must be rademacher or gaussian.");
}
void check_runs(const char* fn, const SlqResult& r) {
  if (r.runs.empty()) throw InvalidInput(std::string(fn) + ": the SLQ result has no probes, but needs at least one.");
}
}  // namespace

SlqResult slq_ref(OperatorRef op, const SlqOptions& o) {
  const auto t0 = Clock::now();
  const char* fn = "slq";
  check_at_least(fn, "operator rows", op.rows(), Eigen::Index(1));
  check_at_least(fn, "steps", o.steps, std::size_t(1));
  check_at_least(fn, "probes", o.probes, std::size_t(1));
  check_probe(fn, o.probe);
  SlqResult r;
  r.dimension = static_cast<std::size_t>(op.rows());
  r.steps = o.steps;
  r.seed = o.seed;
  r.stream = o.stream;
  r.probe = o.probe;
  LanczosOptions lo;
  lo.steps = o.steps;
  lo.reorth = o.reorth;
  lo.storage = o.storage;
  lo.start = o.probe;
  lo.seed = o.seed;
  lo.breakdown_tol = o.breakdown_tol;
  r.runs.reserve(o.probes);
  Lanczos lz(lo);
  for (std::size_t l = 0; l < o.probes; ++l) {
    LanczosOptions ol = lo;
    ol.stream = o.stream + l;
    lz = Lanczos(ol);
    lz.compute_ref(op, nullptr);
    r.runs.push_back(lz.result());
    r.applications += lz.result().applications;
  }
  r.wall_seconds = seconds_since(t0);
  return r;
}

Estimate slq_trace(const SlqResult& r, const std::function<double(double)>& f) {
  check_runs("slq_trace", r);
  std::vector<double> per_probe;
  per_probe.reserve(r.runs.size());
  const double n = static_cast<double>(r.dimension);
  for (const auto& run : r.runs) {
    double s = 0.0;
    for (std::size_t i = 0; i < run.ritz_values.size(); ++i) s += run.weights[i] * f(run.ritz_values[i]);
    per_probe.push_back(n * s);
  }
  return mean_and_std_error(per_probe);
}

Estimate slq_moment(const SlqResult& r, int order) {
  check_at_least("slq_moment", "order", order, 0);
  check_runs("slq_moment", r);
  std::vector<double> per_probe;
  for (const auto& run : r.runs) {
    double s = 0.0;
    for (std::size_t i = 0; i < run.ritz_values.size(); ++i) s += run.weights[i] * std::pow(run.ritz_values[i], order);
    per_probe.push_back(s);
  }
  return mean_and_std_error(per_probe);
}

SpectralMeasure slq_measure(const SlqResult& r) {
  check_runs("slq_measure", r);
  SpectralMeasure m;
  const double scale = 1.0 / static_cast<double>(r.runs.size());
  for (const auto& run : r.runs)
    for (std::size_t i = 0; i < run.ritz_values.size(); ++i) {
      m.nodes.push_back(run.ritz_values[i]);
      m.weights.push_back(scale * run.weights[i]);
    }
  return m;
}

SlqDensity slq_density(const SlqResult& r, const DensityOptions& o) {
  const char* fn = "slq_density";
  check_runs(fn, r);
  check_nonnegative(fn, "sigma", o.sigma);
  check_nonnegative(fn, "margin_sigmas", o.margin_sigmas);
  SlqDensity d;
  d.convention = o.convention;
  double tmin = std::numeric_limits<double>::infinity(), tmax = -tmin;
  double mean_min = 0.0, mean_max = 0.0;
  std::size_t mmax = 0;
  for (const auto& run : r.runs) {
    const double lo = run.ritz_values.front(), hi = run.ritz_values.back();
    tmin = std::min(tmin, lo);
    tmax = std::max(tmax, hi);
    mean_min += lo;
    mean_max += hi;
    mmax = std::max(mmax, run.ritz_values.size());
  }
  const double nr = static_cast<double>(r.runs.size());
  mean_min /= nr;
  mean_max /= nr;

  std::size_t points = o.points;
  double glo, ghi;
  if (o.convention == Broadening::StandardDeviation) {
    d.sigma = o.sigma > 0 ? o.sigma : (tmax - tmin) / static_cast<double>(std::max<std::size_t>(mmax, 1));
    if (!(d.sigma > 0)) d.sigma = std::max(1e-12, 1e-3 * std::fabs(tmax));  // one distinct node everywhere
    glo = tmin - o.margin_sigmas * d.sigma;
    ghi = tmax + o.margin_sigmas * d.sigma;
    d.description = "Gaussian kernel with standard deviation sigma; sum_i tau_i N(x; theta_i, sigma^2), averaged over probes";
  } else {
    // Ghorbani, Krishnan & Xiao 2019 (density_generate): overhead 0.01, sigma^2 = 1e-5 max(1, range).
    glo = mean_min - 0.01;
    ghi = mean_max + 0.01;
    d.variance = 1e-5 * std::max(1.0, ghi - glo);
    d.sigma = std::sqrt(d.variance);
    if (o.grid.empty() && o.points == DensityOptions{}.points) points = 10000;
    d.renormalised = true;
    d.description =
        "Ghorbani et al. 2019 convention: Gaussian kernel of variance 1e-5*max(1, range), renormalised so the grid "
        "Riemann sum is 1";
  }
  d.variance = d.sigma * d.sigma;
  if (!o.grid.empty()) {
    d.x = o.grid;
  } else {
    check_at_least(fn, "points", points, std::size_t(2));
    d.x.resize(points);
    for (std::size_t i = 0; i < points; ++i)
      d.x[i] = glo + (ghi - glo) * static_cast<double>(i) / static_cast<double>(points - 1);
  }
  const std::size_t nx = d.x.size();
  const double c = 1.0 / (std::sqrt(2.0 * M_PI) * d.sigma);
  const double inv2s2 = 1.0 / (2.0 * d.variance);
  std::vector<double> sum(nx, 0.0), sumsq(nx, 0.0), per(nx);
  for (const auto& run : r.runs) {
    std::fill(per.begin(), per.end(), 0.0);
    for (std::size_t i = 0; i < run.ritz_values.size(); ++i) {
      const double th = run.ritz_values[i], w = run.weights[i];
      for (std::size_t k = 0; k < nx; ++k) {
        const double u = d.x[k] - th;
        per[k] += w * c * std::exp(-u * u * inv2s2);
      }
    }
    for (std::size_t k = 0; k < nx; ++k) {
      sum[k] += per[k];
      sumsq[k] += per[k] * per[k];
    }
  }
  d.density.resize(nx);
  d.std_error.resize(nx);
  for (std::size_t k = 0; k < nx; ++k) {
    const double mean = sum[k] / nr;
    d.density[k] = mean;
    d.std_error[k] = r.runs.size() > 1
                         ? std::sqrt(std::max(0.0, (sumsq[k] - nr * mean * mean) / (nr - 1.0)) / nr)
                         : std::numeric_limits<double>::quiet_NaN();
  }
  if (d.renormalised && nx > 1) {
    double total = 0.0;
    for (double v : d.density) total += v;
    total *= (d.x[1] - d.x[0]);
    if (total > 0)
      for (std::size_t k = 0; k < nx; ++k) {
        d.density[k] /= total;
        d.std_error[k] /= total;
      }
  }
  return d;
}

namespace {
template <class Sample>
HutchinsonResult hutchinson(const char* fn, OperatorRef op, const HutchinsonOptions& o, Sample sample) {
  const auto t0 = Clock::now();
  check_at_least(fn, "operator rows", op.rows(), Eigen::Index(1));
  check_at_least(fn, "probes", o.probes, std::size_t(1));
  check_probe(fn, o.probe);
  HutchinsonResult r;
  r.probe = o.probe;
  r.seed = o.seed;
  r.stream = o.stream;
  const Eigen::Index n = op.rows();
  Eigen::VectorXd z(n), az(n);
  RandomStream rng(o.seed, o.stream);
  r.samples.reserve(o.probes);
  for (std::size_t l = 0; l < o.probes; ++l) {
    if (o.probe == StartVector::Rademacher)
      rng.fill_rademacher(z.data(), static_cast<std::size_t>(n));
    else
      rng.fill_normal(z.data(), static_cast<std::size_t>(n));
    op.apply(z.data(), az.data());
    ++r.applications;
    r.samples.push_back(sample(z, az));
  }
  r.estimate = mean_and_std_error(r.samples);
  r.wall_seconds = seconds_since(t0);
  return r;
}
}  // namespace

HutchinsonResult hutchinson_trace_ref(OperatorRef op, const HutchinsonOptions& o) {
  return hutchinson("hutchinson_trace", op, o,
                    [](const Eigen::VectorXd& z, const Eigen::VectorXd& az) { return z.dot(az); });
}

HutchinsonResult hutchinson_frobenius_squared_ref(OperatorRef op, const HutchinsonOptions& o) {
  return hutchinson("hutchinson_frobenius_squared", op, o,
                    [](const Eigen::VectorXd&, const Eigen::VectorXd& az) { return az.squaredNorm(); });
}

}  // namespace batchrmt::spectral
