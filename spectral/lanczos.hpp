// Symmetric Lanczos in float64 with reorthogonalisation (docs/theory.md 5.5).
//
// References: Lanczos 1950; Paige 1980 (Lin. Alg. Appl. 34:235, loss of orthogonality goes with
// convergence); Parlett 1998, *The Symmetric Eigenvalue Problem*, ch. 13; Golub & Van Loan,
// *Matrix Computations* 4th ed., 10.1 (Lanczos), 10.3.1 (full reorthogonalisation, "twice is
// enough"); Parlett & Scott 1979 (Math. Comp. 33:217, selective orthogonalisation).
//
//   q_1 = z / ||z||,  z Rademacher or Gaussian from RandomStream(seed, stream)      (or given)
//   for j = 1..m:
//     w = A q_j;  alpha_j = q_j^T w;  w -= alpha_j q_j + beta_{j-1} q_{j-1}
//     Full:      repeat `passes` times: w -= Q_j (Q_j^T w)        (classical Gram-Schmidt, GEMVs)
//     Selective: w -= Y (Y^T w) over the converged Ritz vectors Y of T_j (Parlett & Scott)
//     beta_j = ||w||;  beta_j <= breakdown_tol * ||T_j|| -> invariant subspace: stop (Breakdown)
//     q_{j+1} = w / beta_j
//
// T_m = tridiag(beta; alpha; beta), T_m s_i = theta_i s_i. Ritz vectors y_i = Q_m s_i have residual
// ||A y_i - theta_i y_i|| = beta_m |s_{m,i}| (exact in exact arithmetic, up to O(eps ||A||) with
// full reorthogonalisation). SLQ weights tau_i = s_{1,i}^2.
//
// Cost per step j: one application of A, plus
//   Full (p passes):  2 p j P flops reading the j basis vectors p + 1 times (the update of one pass
//                     and the projection of the next share a sweep over cached row blocks;
//                     memory-bound: 8 (p + 1) j P bytes with an fp64 basis, 4 (p + 1) j P with fp32),
//   Selective:        O(j^3) for the eigen-decomposition of T_j plus 4 P per locked Ritz vector
//                     (and j P once when a Ritz vector is formed),
//   the recurrence:   ~ 10 P flops (Full + Fp64: only ||w|| and q_{j+1} = w / beta_j, since the
//                     three-term subtraction and alpha_j come out of the first CGS pass).
// Memory: the basis is m P doubles (Fp64), m P floats (Fp32), or nothing (None: no
// reorthogonalisation possible; Ritz vectors by a second pass that repeats the recurrence, m more
// applications, which assumes the operator is deterministic).
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "spectral/krylov_basis.hpp"
#include "spectral/operators.hpp"

namespace batchrmt::spectral {

enum class Reorthogonalization { Full, Selective, None };
enum class BasisStorage { Fp64, Fp32, None };
enum class StartVector { Rademacher, Gaussian, Given };
enum class LanczosStatus {
  Completed,     // the requested number of steps ran (no convergence test was asked for)
  Converged,     // residual-based stopping: the wanted Ritz values met the tolerance
  Breakdown,     // beta_j ~ 0: invariant subspace, the Ritz values are eigenvalues of A
  NotConverged,  // residual-based stopping asked for, but max steps reached first (partial result kept)
};

const char* to_string(Reorthogonalization r);
const char* to_string(BasisStorage s);
const char* to_string(StartVector s);
const char* to_string(LanczosStatus s);

struct LanczosOptions {
  std::size_t steps = 100;  // m; capped at the dimension
  Reorthogonalization reorth = Reorthogonalization::Full;
  int passes = 2;  // Gram-Schmidt passes for Full (1 or 2; 2 = "twice is enough")
  BasisStorage storage = BasisStorage::Fp64;
  StartVector start = StartVector::Rademacher;
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
  // Breakdown when beta_j <= breakdown_tol * max_{i<=j}(|alpha_i|, |beta_i|).
  double breakdown_tol = 1e-12;
  // On breakdown before `steps`, continue with a fresh random vector orthogonal to the basis
  // (T becomes block diagonal, beta_j = 0) instead of stopping: eigensolvers want this (the start
  // vector may miss an eigenvector), SLQ does not (its quadrature is exact at breakdown).
  // Needs full reorthogonalisation and a stored basis.
  bool restart_on_breakdown = false;
  // Ritz vectors wanted: the `vectors_top` largest and `vectors_bottom` smallest Ritz values.
  std::size_t vectors_top = 0;
  std::size_t vectors_bottom = 0;
  // Residual-based stopping (0 and 0: none, run `steps` steps): stop once the `converge_top`
  // largest and `converge_bottom` smallest Ritz values all have beta_j |s_{j,i}| <=
  // tol * max(|theta_i|, eps^(2/3) ||T_j||) (Spectra's criterion). Checked every
  // `check_interval` steps (each check is an O(j^3) tridiagonal eigen-decomposition).
  std::size_t converge_top = 0;
  std::size_t converge_bottom = 0;
  double tol = 1e-10;
  std::size_t check_interval = 1;
};

struct LanczosResult {
  std::size_t dimension = 0;          // P = operator rows
  std::size_t steps = 0;              // m actually run
  std::vector<double> alpha;          // m diagonal entries of T_m
  std::vector<double> beta;           // m entries: beta[0..m-2] off-diagonal of T_m, beta[m-1] = ||r_m||
  std::vector<double> ritz_values;    // m, ascending
  std::vector<double> weights;        // m, tau_i = s_{1,i}^2 (sum to 1): Gauss quadrature weights
  std::vector<double> residuals;      // m, beta_m |s_{m,i}| (Ritz residual bound)
  Eigen::MatrixXd ritz_vectors;       // P x r, on request
  std::vector<std::size_t> ritz_vector_indices;  // indices into ritz_values of the columns
  LanczosStatus status = LanczosStatus::Completed;
  Reorthogonalization reorth = Reorthogonalization::Full;
  int reorth_passes = 0;
  BasisStorage storage = BasisStorage::Fp64;
  StartVector start = StartVector::Rademacher;
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
  std::int64_t applications = 0;      // operator applications (incl. a second pass for vectors)
  std::size_t locked_vectors = 0;     // Selective: Ritz vectors orthogonalised against
  std::size_t restarts = 0;           // breakdowns continued with a fresh vector (restart_on_breakdown)
  double tol = 0.0;                   // residual-stopping tolerance used (0: none)
  double wall_seconds = 0.0;          // everything in compute()
  double operator_seconds = 0.0;      // inside operator applications
  double reorth_seconds = 0.0;        // inside reorthogonalisation
  double loop_seconds = 0.0;          // the step loop (operator + reorth + recurrence), no setup/Ritz
};

// Eigen-style driver: Lanczos lz(options); lz.compute(op); lz.result(); lz.info().
class Lanczos {
 public:
  Lanczos() = default;
  explicit Lanczos(const LanczosOptions& options) : options_(options) {}

  // `start` is used when options.start == StartVector::Given (length rows(), any nonzero norm).
  template <class Op>
  Lanczos& compute(const Op& op, const double* start = nullptr) {
    static_assert(is_operator_v<Op>, "Lanczos::compute: Op must model the operator concept");
    return compute_ref(OperatorRef(op), start);
  }
  Lanczos& compute_ref(OperatorRef op, const double* start);

  const LanczosResult& result() const { return result_; }
  LanczosStatus info() const { return result_.status; }
  const LanczosOptions& options() const { return options_; }
  // Stored Krylov basis, P x m (empty unless storage is Fp64 / Fp32 respectively).
  KrylovBasis<double>::ConstView basis() const { return basis64_.view(); }
  KrylovBasis<float>::ConstView basis_fp32() const { return basis32_.view(); }
  // max |Q^T Q - I| over the stored basis (O(m^2 P)); NaN without a basis.
  double orthogonality_loss() const;
  // Frees the basis (results stay); its memory is kept for the process's next basis
  // (release_kept_basis_memory, spectral/krylov_basis.hpp).
  void release_basis();

 private:
  void reserve_basis(Eigen::Index p, Eigen::Index m);
  void keep_basis_columns(Eigen::Index steps);
  void ritz_vectors_from(OperatorRef op, const double* start, const Eigen::MatrixXd& s);
  LanczosOptions options_;
  LanczosResult result_;
  KrylovBasis<double> basis64_;
  KrylovBasis<float> basis32_;
  KrylovBasis<double> work_;  // q_j, q_{j-1} and w of the recurrence
};

template <class Op>
LanczosResult lanczos(const Op& op, const LanczosOptions& options, const double* start = nullptr) {
  Lanczos lz(options);
  lz.compute(op, start);
  return lz.result();
}

// Ritz values, weights and residual bounds of the tridiagonal (alpha, beta) with beta.size() ==
// alpha.size() (the last beta is ||r_m||). Fills ritz_values, weights, residuals of `r`; returns
// the eigenvectors of T.
Eigen::MatrixXd lanczos_ritz(LanczosResult& r);

// Pieces of Lanczos::compute shared with drivers whose Krylov basis lives elsewhere
// (networks/device_lanczos.cpp keeps it on the operator's GPU), so that both follow one
// definition of the options, the start vector, the stopping test and the Ritz selection.
// Throws InvalidInput (naming `fn`) for options that compute() refuses.
void check_lanczos_options(const char* fn, const LanczosOptions& o, Eigen::Index rows, bool start_passed);
// A result with the run's settings filled in (dimension, reorth, storage, start, seed, tol) and
// room for the alpha and beta of min(steps, rows) steps.
LanczosResult lanczos_result_for(const LanczosOptions& o, Eigen::Index rows);
// q_1 (unit norm, length q.size()): the given vector, or Rademacher / Gaussian from `rng`.
void lanczos_start(const LanczosOptions& o, const double* given, Eigen::Ref<Eigen::VectorXd> q, RandomStream& rng);
// Residual-based stopping after step j = alpha.size() of at most `max_steps`: false unless
// stopping was asked for (LanczosOptions::converge_*) and j is a check step (a multiple of
// check_interval, or the last); then the test on T_j = tridiag(beta; alpha; beta).
bool lanczos_converged_now(const std::vector<double>& alpha, const std::vector<double>& beta,
                           const LanczosOptions& o, std::size_t max_steps, double tnorm);
// Whether a restart vector, orthogonalised against the basis, kept enough norm to be used
// (> 1e-8 sqrt(P) for a Gaussian vector of expected norm sqrt(P)).
bool lanczos_restart_usable(double norm, Eigen::Index rows);
// Indices (ascending, into the ascending Ritz values of `steps` steps) of the wanted Ritz vectors.
std::vector<std::size_t> lanczos_vector_selection(const LanczosOptions& o, std::size_t steps);

}  // namespace batchrmt::spectral
