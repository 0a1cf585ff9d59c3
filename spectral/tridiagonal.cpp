// Symmetric tridiagonal eigenvalues: Sturm counts and bisection (Kahan 1966; LAPACK dlaebz/dstebz),
// and LAPACK dstev/dstemr/dstebz wrappers. See tridiagonal.hpp and docs/theory.md 4.4.
#include "spectral/tridiagonal.hpp"

#ifdef BATCHRMT_WITH_LAPACK
#include <lapacke.h>
#else
#include <Eigen/Eigenvalues>
#endif

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "core/system.hpp"

namespace batchrmt::spectral {

namespace {

constexpr double kSafeMin = std::numeric_limits<double>::min();
constexpr double kEps = std::numeric_limits<double>::epsilon();

void check_tridiagonal(const char* function, const double* a, const double* b, std::size_t n) {
  check_at_least(function, "n", n, std::size_t(1));
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(a[i]))
      throw InvalidInput(std::string(function) + ": a[" + std::to_string(i) + "] is not finite, but must be finite.");
  for (std::size_t i = 0; i + 1 < n; ++i)
    if (!std::isfinite(b[i]))
      throw InvalidInput(std::string(function) + ": b[" + std::to_string(i) + "] is not finite, but must be finite.");
}

void check_ab(const char* function, const Eigen::Ref<const Eigen::VectorXd>& a,
              const Eigen::Ref<const Eigen::VectorXd>& b) {
  check_at_least(function, "size of a", static_cast<std::size_t>(a.size()), std::size_t(1));
  check_size_match(function, "b", static_cast<std::size_t>(b.size()), "a minus one",
                   static_cast<std::size_t>(a.size() - 1));
}

// One sweep of K simultaneous Sturm sequences (dlaebz's recurrence, IJOB = 1). The K chains are
// independent, so their divisions overlap; the compiler vectorises the inner loop over k.
template <int K>
void sturm_sweep(const double* a, const double* b2, std::size_t n, const double* x, double pivmin,
                 std::size_t* counts) {
  double d[K];
  std::size_t c[K];
  for (int k = 0; k < K; ++k) {
    double t = a[0] - x[k];
    if (std::fabs(t) < pivmin) t = -pivmin;
    d[k] = t;
    c[k] = t <= 0.0 ? 1 : 0;
  }
  for (std::size_t i = 1; i < n; ++i) {
    const double ai = a[i];
    const double bi = b2[i - 1];
    for (int k = 0; k < K; ++k) {
      double t = ai - bi / d[k] - x[k];
      t = std::fabs(t) < pivmin ? -pivmin : t;
      c[k] += t <= 0.0 ? 1 : 0;
      d[k] = t;
    }
  }
  for (int k = 0; k < K; ++k) counts[k] = c[k];
}

// b_i^2 in a fresh array, left uninitialised before it is written and in 2 MiB pages where
// large (n = 1e7: 80 MB, filled once per bisection).
std::unique_ptr<double[]> squares(const double* b, std::size_t n) {
  const std::size_t m = n > 0 ? n - 1 : 0;
  std::unique_ptr<double[]> b2(new double[std::max<std::size_t>(m, 1)]);
  advise_huge_pages(b2.get(), m * sizeof(double));
  for (std::size_t i = 0; i < m; ++i) b2[i] = b[i] * b[i];
  return b2;
}

}  // namespace

double sturm_pivmin(const double* b, std::size_t n) {
  double m = 1.0;
  for (std::size_t i = 0; i + 1 < n; ++i) m = std::max(m, b[i] * b[i]);
  return kSafeMin * m;
}

Interval gershgorin_interval(const double* a, const double* b, std::size_t n) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = (i > 0 ? std::fabs(b[i - 1]) : 0.0) + (i + 1 < n ? std::fabs(b[i]) : 0.0);
    lo = std::min(lo, a[i] - r);
    hi = std::max(hi, a[i] + r);
  }
  // Widen as dstebz does so that the ends are strictly outside the spectrum.
  const double bnorm = std::max(std::fabs(lo), std::fabs(hi));
  const double pad = 2.1 * kEps * bnorm * static_cast<double>(n) + 2.1 * sturm_pivmin(b, n) + kSafeMin;
  return {lo - pad, hi + pad};
}

std::size_t sturm_count(const double* a, const double* b2, std::size_t n, double x, double pivmin) {
  std::size_t c = 0;
  sturm_sweep<1>(a, b2, n, &x, pivmin, &c);
  return c;
}

void sturm_counts(const double* a, const double* b2, std::size_t n, const double* x, std::size_t nx,
                  double pivmin, std::size_t* counts) {
  std::size_t i = 0;
  for (; i + 8 <= nx; i += 8) sturm_sweep<8>(a, b2, n, x + i, pivmin, counts + i);
  for (; i + 4 <= nx; i += 4) sturm_sweep<4>(a, b2, n, x + i, pivmin, counts + i);
  for (; i + 2 <= nx; i += 2) sturm_sweep<2>(a, b2, n, x + i, pivmin, counts + i);
  for (; i < nx; ++i) sturm_sweep<1>(a, b2, n, x + i, pivmin, counts + i);
}

std::vector<std::size_t> tridiagonal_counts_at(const Eigen::Ref<const Eigen::VectorXd>& a,
                                               const Eigen::Ref<const Eigen::VectorXd>& b,
                                               const std::vector<double>& edges) {
  check_ab("tridiagonal_counts_at", a, b);
  const auto n = static_cast<std::size_t>(a.size());
  check_tridiagonal("tridiagonal_counts_at", a.data(), b.data(), n);
  const auto b2 = squares(b.data(), n);
  std::vector<std::size_t> counts(edges.size());
  sturm_counts(a.data(), b2.get(), n, edges.data(), edges.size(), sturm_pivmin(b.data(), n), counts.data());
  return counts;
}

namespace {

// One end being bisected: the invariant count(lo) < index <= count(hi) holds throughout.
struct End {
  std::size_t index = 0;  // 1-based ascending index of the wanted eigenvalue
  double lo = 0, hi = 0;
  double guess = std::numeric_limits<double>::quiet_NaN();
  double spread = 0;  // half-width of the bracket tried around the guess
  bool use_guess = false;
  bool done = false;
  BisectionResult r;
};

// The shifts of the next sweep for one end (appended to x); marks the end done when its
// bracket has converged (dstebz's test, or no double strictly inside).
void next_shifts(End& e, double abs_tol, const BisectionOptions& o, std::vector<double>& x) {
  const double width = e.hi - e.lo;
  if (width <= abs_tol + o.rel_tol * std::max(std::fabs(e.lo), std::fabs(e.hi))) {
    e.done = true;
    return;
  }
  const double mid = e.lo + 0.5 * width;
  if (!(mid > e.lo && mid < e.hi)) {  // no double strictly inside
    e.done = true;
    return;
  }
  if (e.use_guess && !(e.guess > e.lo && e.guess < e.hi)) e.use_guess = false;
  if (e.use_guess && 2 * e.spread < width) {
    // Warm start: try the bracket [guess - spread, guess + spread] (points outside (lo, hi) dropped).
    for (const double xi : {e.guess - e.spread, e.guess + e.spread})
      if (xi > e.lo && xi < e.hi) x.push_back(xi);
    return;
  }
  e.use_guess = false;
  // Multisection: K equally spaced shifts (strictly increasing, strictly inside).
  const int K = o.shifts_per_sweep;
  const std::size_t first = x.size();
  for (int i = 1; i <= K; ++i) {
    const double xi = e.lo + width * static_cast<double>(i) / static_cast<double>(K + 1);
    if (xi > e.lo && xi < e.hi && (x.size() == first || xi > x.back())) x.push_back(xi);
  }
}

// Counts are monotone in x: the new bracket lies between the last shift with count < index and
// the first with count >= index (shifts of one end are increasing).
void narrow(End& e, const double* x, const std::size_t* c, std::size_t nx) {
  double new_lo = e.lo, new_hi = e.hi;
  for (std::size_t i = 0; i < nx; ++i) {
    if (c[i] < e.index)
      new_lo = x[i];
    else {
      new_hi = x[i];
      break;
    }
  }
  e.lo = new_lo;
  e.hi = new_hi;
  if (e.use_guess) {
    if (e.hi - e.lo <= 2 * e.spread)
      e.use_guess = false;  // the guess bracket held: multisection from here
    else
      e.spread *= 1024;  // it did not: widen (a guess left outside (lo, hi) is dropped next time)
  }
}

// Bisects every end together: each O(n) sweep evaluates the shifts of all ends at once.
void bisect_ends(const double* a, const double* b, std::size_t n, std::vector<End>& ends, const BisectionOptions& o) {
  const auto b2 = squares(b, n);
  const double pivmin = sturm_pivmin(b, n);
  const Interval g = gershgorin_interval(a, b, n);
  // Default absolute tolerance as dstebz (ABSTOL <= 0): ulp * ||T|| with ||T|| from Gershgorin.
  const double abs_tol =
      o.abs_tol > 0 ? o.abs_tol : std::max(kEps * std::max(std::fabs(g.lower), std::fabs(g.upper)), pivmin);
  for (auto& e : ends) {
    e.lo = g.lower;
    e.hi = g.upper;
    e.r.index = e.index;
    e.use_guess = std::isfinite(e.guess);
    e.spread = 64 * kEps * std::max(1.0, std::fabs(e.guess));
  }
  std::vector<double> x;
  std::vector<std::size_t> c, offset(ends.size() + 1);
  while (true) {
    x.clear();
    for (std::size_t k = 0; k < ends.size(); ++k) {
      offset[k] = x.size();
      if (!ends[k].done) next_shifts(ends[k], abs_tol, o, x);
    }
    offset[ends.size()] = x.size();
    if (x.empty()) break;
    c.resize(x.size());
    sturm_counts(a, b2.get(), n, x.data(), x.size(), pivmin, c.data());
    for (std::size_t k = 0; k < ends.size(); ++k) {
      const std::size_t nx = offset[k + 1] - offset[k];
      if (nx == 0) continue;
      ++ends[k].r.sweeps;
      ends[k].r.shifts += nx;
      narrow(ends[k], x.data() + offset[k], c.data() + offset[k], nx);
    }
  }
  for (auto& e : ends) {
    e.r.lower = e.lo;
    e.r.upper = e.hi;
    e.r.value = e.lo + 0.5 * (e.hi - e.lo);
  }
}

}  // namespace

BisectionResult tridiagonal_kth_largest(const double* a, const double* b, std::size_t n, std::size_t k,
                                        const BisectionOptions& options) {
  const char* fn = "tridiagonal_kth_largest";
  check_tridiagonal(fn, a, b, n);
  check_bounded(fn, "k", k, std::size_t(1), n);
  check_bounded(fn, "shifts_per_sweep", options.shifts_per_sweep, 1, 64);
  check_nonnegative(fn, "rel_tol", options.rel_tol);
  check_nonnegative(fn, "abs_tol", options.abs_tol);
  std::vector<End> ends(1);
  ends[0].index = n - k + 1;
  bisect_ends(a, b, n, ends, options);
  return ends[0].r;
}

TridiagonalExtremes tridiagonal_extremes(const double* a, const double* b, std::size_t n, double top_guess,
                                         double bottom_guess, const BisectionOptions& options) {
  const char* fn = "tridiagonal_extremes";
  check_tridiagonal(fn, a, b, n);
  check_bounded(fn, "shifts_per_sweep", options.shifts_per_sweep, 1, 64);
  check_nonnegative(fn, "rel_tol", options.rel_tol);
  check_nonnegative(fn, "abs_tol", options.abs_tol);
  std::vector<End> ends(2);
  ends[0].index = n;
  ends[0].guess = top_guess;
  ends[1].index = 1;
  ends[1].guess = bottom_guess;
  bisect_ends(a, b, n, ends, options);
  return {ends[0].r, ends[1].r};
}

BisectionResult tridiagonal_kth_largest(const Eigen::Ref<const Eigen::VectorXd>& a,
                                        const Eigen::Ref<const Eigen::VectorXd>& b, std::size_t k,
                                        const BisectionOptions& options) {
  check_ab("tridiagonal_kth_largest", a, b);
  return tridiagonal_kth_largest(a.data(), b.data(), static_cast<std::size_t>(a.size()), k, options);
}

BisectionResult tridiagonal_kth_smallest(const Eigen::Ref<const Eigen::VectorXd>& a,
                                         const Eigen::Ref<const Eigen::VectorXd>& b, std::size_t k,
                                         const BisectionOptions& options) {
  check_ab("tridiagonal_kth_smallest", a, b);
  const auto n = static_cast<std::size_t>(a.size());
  check_bounded("tridiagonal_kth_smallest", "k", k, std::size_t(1), n);
  return tridiagonal_kth_largest(a.data(), b.data(), n, n - k + 1, options);
}

double tridiagonal_top_eigenvalue(const double* a, const double* b, std::size_t n) {
  return tridiagonal_kth_largest(a, b, n, 1).value;
}

double tridiagonal_top_eigenvalue(const Eigen::Ref<const Eigen::VectorXd>& a,
                                  const Eigen::Ref<const Eigen::VectorXd>& b) {
  return tridiagonal_kth_largest(a, b, 1).value;
}

Eigen::VectorXd tridiagonal_eigenvalues(const Eigen::Ref<const Eigen::VectorXd>& a,
                                        const Eigen::Ref<const Eigen::VectorXd>& b) {
  check_ab("tridiagonal_eigenvalues", a, b);
#ifndef BATCHRMT_WITH_LAPACK
  // Without LAPACK: Eigen's implicit symmetric QR on the tridiagonal (Golub & Van Loan 8.3.3).
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
  es.computeFromTridiagonal(a, b, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) throw NumericalFailure("tridiagonal_eigenvalues: Eigen's tridiagonal QR did not converge.");
  return es.eigenvalues();
#else
  const auto n = static_cast<lapack_int>(a.size());
  Eigen::VectorXd d = a;
  Eigen::VectorXd e(std::max<Eigen::Index>(1, b.size()));
  e.head(b.size()) = b;
  const lapack_int info = LAPACKE_dstev(LAPACK_COL_MAJOR, 'N', n, d.data(), e.data(), nullptr, 1);
  if (info < 0) throw InvalidInput("tridiagonal_eigenvalues: LAPACK dstev rejected argument " + std::to_string(-info) + ".");
  if (info > 0)
    throw NumericalFailure("tridiagonal_eigenvalues: LAPACK dstev did not converge (" + std::to_string(info) +
                           " off-diagonal elements did not reach zero).");
  return d;
#endif
}

Eigen::VectorXd tridiagonal_eigenvalues_by_index(const Eigen::Ref<const Eigen::VectorXd>& a,
                                                 const Eigen::Ref<const Eigen::VectorXd>& b, std::size_t il,
                                                 std::size_t iu) {
  const char* fn = "tridiagonal_eigenvalues_by_index";
  check_ab(fn, a, b);
  const auto n = static_cast<std::size_t>(a.size());
  check_bounded(fn, "il", il, std::size_t(1), n);
  check_bounded(fn, "iu", iu, il, n);
#ifndef BATCHRMT_WITH_LAPACK
  // Without LAPACK: our own Sturm bisection, one eigenvalue at a time.
  Eigen::VectorXd out(static_cast<Eigen::Index>(iu - il + 1));
  for (std::size_t k = il; k <= iu; ++k) out(static_cast<Eigen::Index>(k - il)) = tridiagonal_kth_smallest(a, b, k).value;
  return out;
#else
  Eigen::VectorXd e(std::max<Eigen::Index>(1, b.size()));
  e.head(b.size()) = b;
  lapack_int m = 0, nsplit = 0;
  Eigen::VectorXd w(static_cast<Eigen::Index>(n));
  std::vector<lapack_int> iblock(n), isplit(n);
  const lapack_int info = LAPACKE_dstebz('I', 'E', static_cast<lapack_int>(n), 0.0, 0.0, static_cast<lapack_int>(il),
                                         static_cast<lapack_int>(iu), 0.0, a.data(), e.data(), &m, &nsplit, w.data(),
                                         iblock.data(), isplit.data());
  if (info != 0)
    throw NumericalFailure(std::string(fn) + ": LAPACK dstebz returned info " + std::to_string(info) + ".");
  return w.head(m);
#endif
}

TridiagonalEigen tridiagonal_eigen(const Eigen::Ref<const Eigen::VectorXd>& a,
                                   const Eigen::Ref<const Eigen::VectorXd>& b, TridiagonalMethod method) {
  const char* fn = "tridiagonal_eigen";
  check_ab(fn, a, b);
#ifndef BATCHRMT_WITH_LAPACK
  (void)method;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
  es.computeFromTridiagonal(a, b, Eigen::ComputeEigenvectors);
  if (es.info() != Eigen::Success) throw NumericalFailure(std::string(fn) + ": Eigen's tridiagonal QR did not converge.");
  return TridiagonalEigen{es.eigenvalues(), es.eigenvectors()};
#else
  const auto n = static_cast<lapack_int>(a.size());
  if (method == TridiagonalMethod::Auto) method = n <= 400 ? TridiagonalMethod::QR : TridiagonalMethod::MRRR;
  TridiagonalEigen r;
  if (method == TridiagonalMethod::MRRR) {
    Eigen::VectorXd d = a;
    Eigen::VectorXd e(std::max<Eigen::Index>(1, a.size()));  // dstemr needs n entries of workspace in e
    e.setZero();
    e.head(b.size()) = b;
    r.values.resize(n);
    r.vectors.resize(n, n);
    std::vector<lapack_int> isuppz(2 * static_cast<std::size_t>(n));
    lapack_int m = 0;
    lapack_logical tryrac = 1;
    const lapack_int info = LAPACKE_dstemr(LAPACK_COL_MAJOR, 'V', 'A', n, d.data(), e.data(), 0.0, 0.0, 0, 0, &m,
                                           r.values.data(), r.vectors.data(), n, n, isuppz.data(), &tryrac);
    if (info == 0 && m == n) return r;
    // MRRR can fail on pathological inputs; the QR route below is slower but robust.
  }
  Eigen::VectorXd d = a;
  Eigen::VectorXd e(std::max<Eigen::Index>(1, b.size()));
  e.head(b.size()) = b;
  r.vectors.resize(n, n);
  const lapack_int info = LAPACKE_dstev(LAPACK_COL_MAJOR, 'V', n, d.data(), e.data(), r.vectors.data(), n);
  if (info < 0) throw InvalidInput(std::string(fn) + ": LAPACK dstev rejected argument " + std::to_string(-info) + ".");
  if (info > 0)
    throw NumericalFailure(std::string(fn) + ": LAPACK dstev did not converge (" + std::to_string(info) +
                           " off-diagonal elements did not reach zero).");
  r.values = d;
  return r;
#endif
}

}  // namespace batchrmt::spectral
