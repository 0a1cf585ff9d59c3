#include "simulate/tridiagonal_models.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "core/checks.hpp"
#include "core/system.hpp"
#include "spectral/tridiagonal.hpp"

namespace batchrmt::simulate {

Eigen::Index edge_truncation_size(Eigen::Index n) {
  const auto k = static_cast<Eigen::Index>(std::ceil(10.0 * std::cbrt(static_cast<double>(n))));
  return std::min(n, std::max<Eigen::Index>(k, 1));
}

namespace {
// The 1e7-entry arrays of the large models: 2 MiB pages before their first write
// (core/system.hpp advise_huge_pages).
void in_huge_pages(Eigen::VectorXd& v) { advise_huge_pages(v.data(), static_cast<std::size_t>(v.size()) * sizeof(double)); }

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
  in_huge_pages(t.a);
  in_huge_pages(t.b);
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
  in_huge_pages(d);
  in_huge_pages(s);
  for (Eigen::Index i = 0; i < K; ++i) d(i) = rng.chi(beta * static_cast<double>(cols - i));
  for (Eigen::Index i = 0; i + 1 < K; ++i) s(i) = rng.chi(beta * static_cast<double>(rows - 1 - i));
  if (spiked) d(0) *= std::sqrt(ell / sigma2);
  // T = L L^T: T_11 = d_1^2, T_kk = s_{k-1}^2 + d_k^2, T_{k,k+1} = d_k s_k; scaled by sigma2 / m.
  const double scale = sigma2 / static_cast<double>(m);
  Tridiagonal t;
  t.n = rows;
  t.a.resize(K);
  t.b.resize(std::max<Eigen::Index>(K - 1, 0));
  in_huge_pages(t.a);
  in_huge_pages(t.b);
  for (Eigen::Index k = 0; k < K; ++k) t.a(k) = scale * (d(k) * d(k) + (k > 0 ? s(k - 1) * s(k - 1) : 0.0));
  for (Eigen::Index k = 0; k + 1 < K; ++k) t.b(k) = scale * d(k) * s(k);
  return t;
}

// Large models: warm-started brackets. By Cauchy interlacing the top (bottom) eigenvalue of a
// leading principal block is a lower (upper) bound of T's, and for the beta-Hermite/Laguerre
// models the edge eigenvectors decay like Airy beyond O(n^{1/3}) rows (docs/theory.md 4.5), so the
// block of size 4 * 10 n^{1/3} is already within a few ulp. spectral::tridiagonal_extremes
// verifies each bracket with Sturm counts on the whole T (widening it if needed) and bisects
// both ends in shared O(n) sweeps: the answers are T's extremes to the tolerance of a cold
// start, at about a sixth of the sweeps of two cold bisections.
ExtremeEigenvalues extreme_eigenvalues(const Tridiagonal& t) {
  const auto n = static_cast<std::size_t>(t.a.size());
  constexpr std::size_t kWarmStartMin = 20000;
  double top_guess = std::numeric_limits<double>::quiet_NaN(), bottom_guess = top_guess;
  if (n >= kWarmStartMin) {
    const auto K = static_cast<Eigen::Index>(
        std::min<std::size_t>(n, 4 * static_cast<std::size_t>(edge_truncation_size(t.a.size()))));
    const auto block = spectral::tridiagonal_extremes(t.a.data(), t.b.data(), static_cast<std::size_t>(K));
    top_guess = block.top.value;
    bottom_guess = block.bottom.value;
  }
  const auto e = spectral::tridiagonal_extremes(t.a.data(), t.b.data(), n, top_guess, bottom_guess);
  return {e.top.value, e.bottom.value};
}

double top_eigenvalue(const Tridiagonal& t) {
  const auto n = static_cast<std::size_t>(t.a.size());
  if (n < 20000) return spectral::tridiagonal_kth_largest(t.a, t.b, 1).value;  // the cold path, unchanged
  return extreme_eigenvalues(t).top;
}

double bottom_eigenvalue(const Tridiagonal& t) {
  const auto n = static_cast<std::size_t>(t.a.size());
  if (n < 20000) return spectral::tridiagonal_kth_smallest(t.a, t.b, 1).value;
  return extreme_eigenvalues(t).bottom;
}

}  // namespace batchrmt::simulate
