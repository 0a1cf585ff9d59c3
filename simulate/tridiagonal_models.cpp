#include "simulate/tridiagonal_models.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "core/checks.hpp"
#include "spectral/tridiagonal.hpp"

namespace batchrmt::simulate {

Eigen::Index edge_truncation_size(Eigen::Index n) {
  const auto k = static_cast<Eigen::Index>(std::ceil(10.0 * std::cbrt(static_cast<double>(n))));
  return std::min(n, std::max<Eigen::Index>(k, 1));
}

namespace {
Eigen::Index resolve_truncation(const char* f, Eigen::Index n, Eigen::Index truncate) {
  check_at_least<Eigen::Index>(f, "truncation size", truncate, 0);
  return truncate == 0 ? n : std::min(truncate, n);
}
}  // namespace

Tridiagonal sample_beta_hermite(Eigen::Index n, double beta, double sigma, double theta, RandomStream& rng,
                                Eigen::Index truncate) {
  const char* f = "sample_beta_hermite";
  check_at_least<Eigen::Index>(f, "n", n, 1);
  check_positive(f, "beta", beta);
  check_positive(f, "sigma", sigma);
  check_finite(f, "theta", theta);
  const Eigen::Index K = resolve_truncation(f, n, truncate);
  const double bn = beta * static_cast<double>(n);
  Tridiagonal t;
  t.n = n;
  t.a.resize(K);
  t.b.resize(K - 1);
  const double a_sd = sigma * std::sqrt(2.0 / bn);
  for (Eigen::Index i = 0; i < K; ++i) t.a(i) = a_sd * rng.normal();
  const double scale = sigma / std::sqrt(bn);
  for (Eigen::Index k = 1; k < K; ++k) t.b(k - 1) = scale * rng.chi(beta * static_cast<double>(n - k));
  t.a(0) += theta;
  return t;
}

Tridiagonal sample_beta_laguerre(Eigen::Index p, Eigen::Index m, double beta, double sigma2, double ell,
                                 RandomStream& rng, Eigen::Index truncate) {
  const char* f = "sample_beta_laguerre";
  check_at_least<Eigen::Index>(f, "p", p, 1);
  check_at_least<Eigen::Index>(f, "m", m, 1);
  check_positive(f, "beta", beta);
  check_positive(f, "sigma2", sigma2);
  check_positive(f, "ell", ell);
  const bool spiked = ell != sigma2;
  if (p > m && spiked)
    throw InvalidInput(std::string(f) + ": p is " + std::to_string(p) + " > m = " + std::to_string(m) +
                       " with a spike, but the bidiagonal model supports spikes only for p <= m; use the dense sampler.");
  // Companion for p > m: the nonzero spectrum of XX^T equals that of X^T X (roles swapped).
  const Eigen::Index rows = std::min(p, m), cols = std::max(p, m);
  const Eigen::Index K = resolve_truncation(f, rows, truncate);
  Eigen::VectorXd d(K), s(std::max<Eigen::Index>(K - 1, 0));
  for (Eigen::Index i = 0; i < K; ++i) d(i) = rng.chi(beta * static_cast<double>(cols - i));
  for (Eigen::Index i = 0; i + 1 < K; ++i) s(i) = rng.chi(beta * static_cast<double>(rows - 1 - i));
  if (spiked) d(0) *= std::sqrt(ell / sigma2);
  // T = L L^T: T_11 = d_1^2, T_kk = s_{k-1}^2 + d_k^2, T_{k,k+1} = d_k s_k; scaled by sigma2 / m.
  const double scale = sigma2 / static_cast<double>(m);
  Tridiagonal t;
  t.n = rows;
  t.a.resize(K);
  t.b.resize(std::max<Eigen::Index>(K - 1, 0));
  for (Eigen::Index k = 0; k < K; ++k) t.a(k) = scale * (d(k) * d(k) + (k > 0 ? s(k - 1) * s(k - 1) : 0.0));
  for (Eigen::Index k = 0; k + 1 < K; ++k) t.b(k) = scale * d(k) * s(k);
  return t;
}

// Large models: a warm-started bracket. By Cauchy interlacing the top eigenvalue of a leading
// principal block is a lower bound of T's, and for the beta-Hermite/Laguerre models the top
// eigenvector decays like Airy beyond O(n^{1/3}) rows (THEORY.md 4.5), so the block of size
// 4 * 10 n^{1/3} is already within a few ulp. The bracket [lo, hi] is verified with Sturm counts
// on the whole T (count(lo) < n = count(hi)), widened if needed, then bisected with the same
// multisection sweeps; the answer is T's top eigenvalue to the same tolerance as a cold start,
// at about a third of the O(n) sweeps.
double top_eigenvalue(const Tridiagonal& t) {
  const auto n = static_cast<std::size_t>(t.a.size());
  constexpr std::size_t kWarmStartMin = 20000;
  if (n < kWarmStartMin) return spectral::tridiagonal_kth_largest(t.a, t.b, 1).value;
  const auto K = static_cast<Eigen::Index>(std::min<std::size_t>(n, 4 * static_cast<std::size_t>(edge_truncation_size(t.a.size()))));
  const double guess = spectral::tridiagonal_kth_largest(t.a.head(K), t.b.head(K - 1), 1).value;
  const std::vector<double> b2(t.b.data(), t.b.data() + t.b.size());
  std::vector<double> sq(b2.size());
  for (std::size_t i = 0; i < b2.size(); ++i) sq[i] = b2[i] * b2[i];
  const double pivmin = spectral::sturm_pivmin(t.b.data(), n);
  auto count = [&](double x) { return spectral::sturm_count(t.a.data(), sq.data(), n, x, pivmin); };
  const double scale = std::max(1.0, std::abs(guess));
  double step = 64 * std::numeric_limits<double>::epsilon() * scale;
  double lo = guess - step;
  while (count(lo) >= n) {
    step *= 16;
    lo = guess - step;
  }
  step = 1e-12 * scale;
  double hi = guess + step;
  while (count(hi) < n) {
    step *= 16;
    hi = guess + step;
  }
  // Multisection: 4 shifts per O(n) sweep shrink the bracket 5-fold.
  constexpr int kShifts = 4;
  double x[kShifts];
  std::size_t c[kShifts];
  while (hi - lo > 2 * std::numeric_limits<double>::epsilon() * std::max(std::abs(lo), std::abs(hi))) {
    const double w = (hi - lo) / (kShifts + 1);
    for (int i = 0; i < kShifts; ++i) x[i] = lo + w * (i + 1);
    if (!(x[0] > lo) || !(x[kShifts - 1] < hi)) break;  // no double strictly inside any more
    spectral::sturm_counts(t.a.data(), sq.data(), n, x, kShifts, pivmin, c);
    double new_lo = lo, new_hi = hi;
    for (int i = 0; i < kShifts; ++i) {
      if (c[i] < n) new_lo = x[i];
      else {
        new_hi = x[i];
        break;
      }
    }
    lo = new_lo;
    hi = new_hi;
  }
  return 0.5 * (lo + hi);
}

double bottom_eigenvalue(const Tridiagonal& t) { return spectral::tridiagonal_kth_smallest(t.a, t.b, 1).value; }

}  // namespace batchrmt::simulate
