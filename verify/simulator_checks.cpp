// Checks of the simulators: V1 (GOE trace identity), V3 (Tracy-Widom edge) and the SLQ
// semicircle (docs/theory.md §4, §5.6, §7.2).
#include <chrono>
#include <cmath>

#include "core/checks.hpp"
#include "core/rng.hpp"
#include "simulate/dense_spectrum.hpp"
#include "simulate/ensembles.hpp"
#include "simulate/sample_pool.hpp"
#include "simulate/tridiagonal_models.hpp"
#include "spectral/operators.hpp"
#include "spectral/slq.hpp"
#include "theory/batch_hessian.hpp"
#include "theory/ggn_lower_edge.hpp"
#include "theory/qve.hpp"
#include "theory/spiked_wigner.hpp"
#include "theory/tracy_widom.hpp"
#include "verify/claims.hpp"
#include "verify/pool_sweep.hpp"
#include "verify/sampler_checks.hpp"

namespace batchrmt::verify {

ClaimResult check_goe_trace(const Config& c, std::uint64_t seed) {
  const auto t = goe_trace_check(c.integer("v1.n", 400), c.number("v1.sigma", 1.0), c.integer("v1.trials", 200), seed);
  ClaimResult r = named_claim("V1", "simulator self-check: GOE trace identity E tr W^2 = sigma^2 (n+1)");
  r.verdict = t.verdict;
  r.prediction = t.prediction;
  r.measurement = t.summary.mean;
  r.stderr_ = std::sqrt(t.variance / static_cast<double>(t.trials));
  r.z = t.test.z;
  r.series["trace_w2"] = t.trace_w2;
  r.series["streams"] = std::vector<double>(t.streams.begin(), t.streams.end());
  r.scalars["n"] = static_cast<double>(t.n);
  r.note = "exact identity (docs/theory.md 7.2 V1); pass iff |mean - prediction| <= 4 exact standard errors; a doubled diagonal variance would shift the mean by 2 sigma^2 = " +
           format_number(2 * t.sigma * t.sigma) + " = " + format_number(2 * t.sigma * t.sigma / r.stderr_, 3) + " standard errors.";
  r.seconds = t.seconds;
  return r;
}

ClaimResult check_tracy_widom(const Config& c, std::uint64_t seed) {
  const auto start = Clock::now();
  const auto n = c.integer("v3.n", 1000000);
  const auto trials = c.integer("v3.trials", 2000);
  const Eigen::Index K = simulate::edge_truncation_size(n);
  std::vector<double> x;
  for (std::int64_t t = 0; t < trials; ++t) {
    RandomStream rng(seed, stream_id(33, static_cast<std::uint32_t>(t)));
    x.push_back(std::pow(static_cast<double>(n), 2.0 / 3.0) *
                (simulate::top_eigenvalue(simulate::sample_beta_hermite(n, 1.0, 1.0, 0.0, rng, K)) - 2.0));
  }
  const auto moments = theory::tracy_widom_moments(1);
  const auto s = summarize(x);
  ClaimResult r = named_claim("V3", "simulator self-check: Tracy–Widom edge of the tridiagonal GOE (n = " + std::to_string(n) + ")");
  r.series["rescaled_top"] = x;
  std::vector<double> grid, pdf;
  for (double g = -6.0; g <= 4.0 + 1e-12; g += 0.1) {
    grid.push_back(g);
    pdf.push_back(theory::tracy_widom_pdf(1, g));
  }
  r.series["tw1_grid"] = grid;
  r.series["tw1_pdf"] = pdf;
  r.prediction = moments.mean;
  r.measurement = s.mean;
  r.stderr_ = std::sqrt(moments.variance / static_cast<double>(trials));
  const double bias = std::pow(static_cast<double>(n), -2.0 / 3.0);  // O(n^{-2/3}) in TW units
  const auto zm = z_test(moments.mean, s.mean, r.stderr_, bias);
  const double var_tol = 4 * moments.variance * std::sqrt((2 + moments.excess_kurtosis) / static_cast<double>(trials)) + bias;
  const bool var_ok = std::abs(s.sd * s.sd - moments.variance) <= var_tol;
  r.z = zm.z;
  r.scalars["variance_measured"] = s.sd * s.sd;
  r.scalars["variance_theory"] = moments.variance;
  r.scalars["truncation"] = static_cast<double>(K);
  r.verdict = (zm.passed && var_ok) ? Verdict::agrees : Verdict::disagrees;
  r.note = std::to_string(trials) + " draws of n^{2/3}(lambda_max - 2), truncation K=" + std::to_string(K) + ": mean " + format_number(s.mean, 5) +
           " vs TW1 " + format_number(moments.mean, 6) + " (z=" + format_number(zm.z, 3) + "), variance " + format_number(s.sd * s.sd, 4) + " vs " +
           format_number(moments.variance, 5) + " (tolerance " + format_number(var_tol, 3) + "); bias budget n^{-2/3}.";
  r.seconds = seconds_since(start);
  return r;
}

ClaimResult check_slq_semicircle(const Config& c, std::uint64_t seed) {
  const auto start = Clock::now();
  const auto n = c.integer("v2.n", 1000);
  const auto probes = c.integer("v2.probes", 20);
  const auto steps = c.integer("v2.steps", 60);
  RandomStream rng(seed, stream_id(2, 0));
  const Eigen::MatrixXd w = simulate::sample_wigner(n, 1.0, rng);
  spectral::SlqOptions o;
  o.steps = static_cast<std::size_t>(steps);
  o.probes = static_cast<std::size_t>(probes);
  o.seed = seed;
  o.stream = stream_id(2, 1);
  const auto slq = spectral::slq(spectral::DenseOperator(w), o);
  // SLQ estimates (1/n) tr W^4 with a between-probe error bar; the semicircle's fourth moment is
  // 2 (Catalan C_2), and E (1/n) tr W^4 = 2 + 5/n + O(n^-2) for the GOE: bias budget 6/n.
  const auto m4 = spectral::slq_moment(slq, 4);
  const auto m2 = spectral::slq_moment(slq, 2);
  ClaimResult r = named_claim("V2", "bulk density: SLQ spectral density of a GOE matrix vs the semicircle (n = " + std::to_string(n) + ")");
  r.prediction = 2.0;
  r.measurement = m4.value;
  r.stderr_ = m4.std_error;
  const auto t = z_test(2.0, m4.value, m4.std_error, 6.0 / static_cast<double>(n));
  r.z = t.z;
  const auto t2 = z_test((static_cast<double>(n) + 1) / static_cast<double>(n), m2.value, m2.std_error, 0.0);
  r.scalars["moment2"] = m2.value;
  r.scalars["moment2_se"] = m2.std_error;
  r.scalars["moment2_z"] = t2.z;
  r.scalars["applications"] = static_cast<double>(slq.applications);
  spectral::DensityOptions d;
  d.sigma = 0.05;
  const auto dens = spectral::slq_density(slq, d);
  r.series["slq_grid"] = dens.x;
  r.series["slq_density"] = dens.density;
  r.series["slq_density_se"] = dens.std_error;
  r.series["exact_eigenvalues"] = [&] {
    const Eigen::VectorXd ev = simulate::symmetric_eigenvalues(w);
    return std::vector<double>(ev.data(), ev.data() + ev.size());
  }();
  r.scalars["kernel_sd"] = dens.sigma;
  r.verdict = (t.passed && t2.passed) ? Verdict::agrees : Verdict::disagrees;
  r.note = std::to_string(probes) + " Rademacher probes x " + std::to_string(steps) + " Lanczos steps: (1/n) tr W^4 = " + format_number(m4.value, 5) +
           " +- " + format_number(m4.std_error, 2) + " vs semicircle 2 (budget 6/n), (1/n) tr W^2 = " + format_number(m2.value, 5) + " +- " +
           format_number(m2.std_error, 2) + " vs (n+1)/n exactly; the figure shows the Gaussian-broadened SLQ density (sd " + format_number(dens.sigma, 2) +
           ") over the semicircle and the exact eigenvalue histogram.";
  r.seconds = seconds_since(start);
  return r;
}

}  // namespace batchrmt::verify
