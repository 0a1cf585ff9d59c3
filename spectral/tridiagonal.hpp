// Symmetric tridiagonal eigenvalue tools (docs/theory.md 4.4).
//
// T = tridiag(b; a; b): diagonal a[0..n-1], off-diagonal b[0..n-2] (b may be empty for n = 1).
//
// * Sturm counts (Kahan 1966, as LAPACK dlaebz): d_1 = a_1 - x, d_i = (a_i - x) - b_{i-1}^2 / d_{i-1};
//   a pivot with |d_i| < pivmin is replaced by -pivmin, so the count is exact for a matrix within
//   a few ulps of T and monotone in x. count(x) = #{eigenvalues <= x}. O(n) per shift, one
//   division each; we evaluate several shifts in one sweep (multisection) so the divisions of
//   independent shifts overlap in the pipeline instead of waiting on one dependency chain.
// * k-th largest eigenvalue by bisection/multisection on the Gershgorin interval: about 55 halvings
//   to reach double precision, each O(n); suitable for n up to 1e7 and beyond (memory: one extra
//   n-vector for b^2).
// * All eigenvalues / eigenpairs of a small tridiagonal (Lanczos T_m) by LAPACK dstev (implicit
//   QL/QR, O(m^2) values, O(m^3) with vectors) or dstemr (MRRR, O(m^2) with vectors).
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <limits>
#include <vector>

namespace batchrmt::spectral {

// LAPACK dstebz's pivot threshold: safmin * max(1, max_i b_i^2).
double sturm_pivmin(const double* b, std::size_t n);

// Gershgorin interval [lower, upper] containing every eigenvalue of T (slightly widened as dstebz).
struct Interval {
  double lower = 0.0;
  double upper = 0.0;
};
Interval gershgorin_interval(const double* a, const double* b, std::size_t n);

// #{eigenvalues of T <= x}. b2 holds the squared off-diagonal (n-1 entries).
std::size_t sturm_count(const double* a, const double* b2, std::size_t n, double x, double pivmin);

// Counts at several shifts in one sweep: counts[i] = #{eigenvalues <= x[i]}. Any number of shifts.
void sturm_counts(const double* a, const double* b2, std::size_t n, const double* x, std::size_t nx,
                  double pivmin, std::size_t* counts);

// Convenience from (a, b): squares b once. counts at the given edges (histograms: bin counts are
// differences of consecutive edge counts). O(n * edges).
std::vector<std::size_t> tridiagonal_counts_at(const Eigen::Ref<const Eigen::VectorXd>& a,
                                               const Eigen::Ref<const Eigen::VectorXd>& b,
                                               const std::vector<double>& edges);

struct BisectionResult {
  double value = 0.0;        // midpoint of the final interval
  double lower = 0.0;        // count(lower) < index <= count(upper)
  double upper = 0.0;
  std::size_t index = 0;     // 1-based ascending index of the eigenvalue found
  int sweeps = 0;            // O(n) multi-shift sweeps performed
  std::size_t shifts = 0;    // total shifts evaluated (= Sturm counts)
};

struct BisectionOptions {
  // Stop when upper - lower <= abs_tol + rel_tol * max(|lower|, |upper|), or when no double lies
  // strictly between them. rel_tol defaults to 2 ulp.
  double rel_tol = 4.440892098500626e-16;
  double abs_tol = 0.0;  // 0: ulp * max|Gershgorin bound| (LAPACK dstebz's default)
  // Shifts per sweep (1 = plain bisection). Each sweep shrinks the interval by (shifts + 1).
  int shifts_per_sweep = 4;
};

// k-th largest eigenvalue (k = 1: the top one) of T by Sturm bisection. Throws InvalidInput
// unless 1 <= k <= n and a, b are finite with sizes n and n-1.
BisectionResult tridiagonal_kth_largest(const double* a, const double* b, std::size_t n, std::size_t k = 1,
                                        const BisectionOptions& options = {});
BisectionResult tridiagonal_kth_largest(const Eigen::Ref<const Eigen::VectorXd>& a,
                                        const Eigen::Ref<const Eigen::VectorXd>& b, std::size_t k = 1,
                                        const BisectionOptions& options = {});
// k-th smallest (k = 1: the bottom one).
BisectionResult tridiagonal_kth_smallest(const Eigen::Ref<const Eigen::VectorXd>& a,
                                         const Eigen::Ref<const Eigen::VectorXd>& b, std::size_t k = 1,
                                         const BisectionOptions& options = {});
// Top and bottom eigenvalues together (docs/theory.md 4.4): one b^2, and every O(n) sweep evaluates
// the shifts of both ends at once (so two ends cost about the sweeps of one). Optional warm
// starts (NaN: none): the first sweep tries [guess - d, guess + d] with d = 64 ulp * max(1, |guess|),
// widened 1024-fold per failed try and dropped once the guess leaves the bracket; the bracket is
// always verified by Sturm counts on the whole T, so a wrong guess costs sweeps, never accuracy.
// Results to the tolerance of tridiagonal_kth_largest; without guesses each end follows exactly
// the shifts of tridiagonal_kth_largest / _kth_smallest (identical values).
struct TridiagonalExtremes {
  BisectionResult top;     // index n
  BisectionResult bottom;  // index 1
};
TridiagonalExtremes tridiagonal_extremes(const double* a, const double* b, std::size_t n,
                                         double top_guess = std::numeric_limits<double>::quiet_NaN(),
                                         double bottom_guess = std::numeric_limits<double>::quiet_NaN(),
                                         const BisectionOptions& options = {});
// Top eigenvalue (value only).
double tridiagonal_top_eigenvalue(const double* a, const double* b, std::size_t n);
double tridiagonal_top_eigenvalue(const Eigen::Ref<const Eigen::VectorXd>& a,
                                  const Eigen::Ref<const Eigen::VectorXd>& b);

// All eigenvalues, ascending, by LAPACK dstev('N') (dsterf: Pal–Walker–Kahan QL/QR, O(n^2)).
Eigen::VectorXd tridiagonal_eigenvalues(const Eigen::Ref<const Eigen::VectorXd>& a,
                                        const Eigen::Ref<const Eigen::VectorXd>& b);

// Eigenvalues il..iu (1-based, ascending) by LAPACK dstebz (bisection, RANGE='I'), the LAPACK
// reference for our own bisection.
Eigen::VectorXd tridiagonal_eigenvalues_by_index(const Eigen::Ref<const Eigen::VectorXd>& a,
                                                 const Eigen::Ref<const Eigen::VectorXd>& b, std::size_t il,
                                                 std::size_t iu);

enum class TridiagonalMethod {
  Auto,  // dstev for m <= 400, dstemr above (falls back to dstev if dstemr reports failure)
  QR,    // LAPACK dstev
  MRRR,  // LAPACK dstemr
};

struct TridiagonalEigen {
  Eigen::VectorXd values;   // ascending
  Eigen::MatrixXd vectors;  // m x m, column i belongs to values[i]; orthonormal
};
// Eigenvalues and eigenvectors of a small tridiagonal (the Lanczos T_m). NumericalFailure if
// LAPACK reports non-convergence.
TridiagonalEigen tridiagonal_eigen(const Eigen::Ref<const Eigen::VectorXd>& a,
                                   const Eigen::Ref<const Eigen::VectorXd>& b,
                                   TridiagonalMethod method = TridiagonalMethod::Auto);

}  // namespace batchrmt::spectral
