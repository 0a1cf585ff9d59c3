// Quadratic vector equation (QVE) for Wigner-type matrices with a variance profile:
// block profiles (K blocks of sizes n_a, entry variances s_ab) and full P x P profiles.
//
// docs/theory.md §2.5 [STD] (Ajanki, Erdős & Krüger, Mem. AMS 261 (2019), arXiv:1506.05095;
// CPAM 70 (2017), arXiv:1512.03703; PTRF 169:667 (2017)) with the numerical recipe of §2.5(a)-(f)
// [STD algorithms; DER recipe]:
//   -1/m_a(z) = z + sum_b n_b s_ab m_b(z),   Im m_a > 0 for Im z > 0,
// mean Stieltjes transform <m> = sum_a n_a m_a / n, density Im <m>(E + i0)/pi.
// A full profile S_jk is the block profile with every n_a = 1 and s = S.
// Outliers of a rank-one spike lambda phi phi^T (§2.5(e); Mergny, Ko & Krzakala 2024,
// arXiv:2403.03695): 1 + lambda sum_a w_a m_a(lambda') = 0, block masses w_a = sum_{j in a} phi_j^2.
//
// Numerics (every count is returned):
//   off the axis    damped fixed point m <- (m + T(m))/2, T(m) = -1/(z + A m), continued in
//                   eta = Im z from eta = 1 down by halving, each level polished by Newton
//                   (F(m) = 1/m + z + A m, Jacobian A - diag(m^-2)) while K <= newton_max_dim;
//   linear algebra  three modes, chosen by K (every mode solves the same equations):
//                   dense   K <= newton_max_dim: dense LU Newton steps (as below);
//                   krylov  newton_max_dim < K <= krylov_max_dim: matrix-free Newton. With
//                           x = |m|, w = sqrt(n), the Jacobian is similar to the symmetric
//                           stability operator I - Kx, Kx = diag(x w) s diag(x w) (§2.5(a),(c)),
//                           which is positive definite strictly above the edge: conjugate
//                           gradients (Hestenes & Stiefel 1952); the bordered fold system
//                           [I - Kx, b; b^T, 0], b = x w, is solved by CG on b^perp, where the
//                           compressed operator stays positive definite near the fold because
//                           the Perron vector of Kx is not orthogonal to b > 0 [DER]. Newton
//                           started from a monotone iterate (a subsolution, F >= 0) increases
//                           monotonically to the physical solution (Newton-Fourier for the
//                           order-convex F with an M-matrix Jacobian) [DER]; the edge skips the
//                           bisection and follows the fold continuation from E = 2 sqrt(max r);
//                   none    K > krylov_max_dim: monotone iteration and bisection only.
//   above the bulk  monotone iteration from 0 (order preserving because s >= 0), Newton polish;
//   the edge        bisection (Boost) on the derivative-free test "the monotone iteration
//                   converges" (§2.5(c)); then, in the dense and krylov modes, the fold point is
//                   located exactly: along the real solution curve parameterised by
//                   t = -<m>, E(t) has a quadratic minimum at the edge, dE/dt is found from a
//                   bordered Newton system and its root by Boost toms748 (a [DER] refinement of
//                   the "optional polish" of §2.5(c)); check spr(|m| S |m|) = 1;
//   edge constant   <m>(E) ≈ <m>(tau) + c sqrt(E - tau) (§2.5(d)): c = sqrt(2 / E''(t*));
//                   The spr check uses dense eigenvalues up to K = 400, Lanczos beyond.
//   outlier         Boost toms748 on 1 - lambda sum_a w_a x_a(E) over [tau, tau + lambda];
//   rank r          Boost toms748 on each eigenvalue of Lambda^-1 - sum_a x_a(E) G_a that
//                   changes sign (see QveSolver::outliers).
// Not matrix-free yet: solve()/density() off the axis for K > newton_max_dim run the damped
// iteration without a Newton polish (slow close to the real axis for P in the thousands).
#pragma once

#include <Eigen/Dense>
#include <complex>
#include <optional>
#include <string>
#include <vector>

#include "theory/regime.hpp"

namespace batchrmt::theory {

struct QveProfile {
  Eigen::VectorXd sizes;      // n_a > 0 (may be fractions f_a when s is scaled accordingly)
  Eigen::MatrixXd variances;  // s_ab >= 0, symmetric

  // Validates: K >= 1, sizes positive and finite, variances square K x K, symmetric (to 1e-12
  // relative), non-negative and finite, not all zero.
  static QveProfile block(const Eigen::VectorXd& sizes, const Eigen::MatrixXd& variances);
  static QveProfile full(const Eigen::MatrixXd& S);

  int blocks() const { return static_cast<int>(sizes.size()); }
  double dimension() const { return sizes.sum(); }
  Eigen::MatrixXd effective() const;  // A_ab = s_ab n_b
  Eigen::VectorXd row_sums() const;   // r_a = sum_b n_b s_ab
};

struct QveOptions {
  double tol = 1e-14;                 // relative sup-norm step for convergence
  int max_fixed_point_iterations = 200000;
  int newton_max_dim = 300;           // dense LU Newton/bordered solves up to this K
  int krylov_max_dim = 1 << 30;       // matrix-free Newton-CG up to this K (beyond: no Newton)
  int krylov_max_iterations = 2000;   // CG iterations per linear solve
  double eta_density = 1e-12;         // Im z used for the density on the real axis (times the edge scale)
};

struct QveSolution {
  Eigen::VectorXcd m;
  std::complex<double> mean;  // <m>
  int fixed_point_iterations = 0;
  int newton_iterations = 0;
  double residual = 0.0;      // || 1/m + z + A m ||_inf
  bool converged = false;
};

struct QveRealSolution {
  Eigen::VectorXd m;  // real, negative above the spectrum, positive below
  double mean = 0.0;
  int fixed_point_iterations = 0;
  int newton_iterations = 0;
  int krylov_iterations = 0;  // CG iterations (one matrix-vector product each), krylov mode
  double residual = 0.0;
  bool converged = false;
};

struct QveEdge {
  double upper = 0.0, lower = 0.0;  // tau and -tau (centred profile: symmetric spectrum)
  Eigen::VectorXd m_at_edge;        // m_a(tau)
  double stability_radius = 0.0;    // spr(diag|m| A diag|m|) at tau (1 at an exact edge)
  double edge_constant = 0.0;       // c of §2.5(d) for <m>
  std::string method;               // "bisection+fold-newton", "continuation+fold-newton-cg" or "bisection"
  double bracket_width = 0.0;       // final bisection bracket (the accuracy of "bisection"; 0 without bisection)
  int bisection_iterations = 0;
  int fixed_point_iterations = 0;
  int newton_iterations = 0;
  int krylov_iterations = 0;        // CG iterations (krylov mode)
  int root_iterations = 0;          // toms748 iterations of the fold stage
  int lanczos_iterations = 0;       // Lanczos steps of the spr check (K > 400)
};

struct QveOutlier {
  double lambda = 0.0;
  SpikeRegime regime = SpikeRegime::Subcritical;
  std::optional<double> outlier;  // lambda' (below -tau for lambda < 0)
  double threshold = 0.0;         // lambda_c = -1/f(tau) = 1/sum_a w_a |m_a(tau)|
  double first_order = 0.0;       // §2.5(f) [DER]: lambda + sum_a w_a r_a / lambda
  int root_iterations = 0;
  int fixed_point_iterations = 0;
  int newton_iterations = 0;
  int krylov_iterations = 0;
};

// Rank-r spike Phi Lambda Phi^T (docs/theory.md §2.5(e) [STD-level]; Mergny, Ko & Krzakala 2024,
// arXiv:2403.03695): outliers are the real E with |E| > tau and det(I_r + Lambda Phi^T M(E) Phi) = 0.
// For a block profile Phi^T M(E) Phi = sum_a m_a(E) G_a with the r x r block Gram matrices
// G_a = Phi_a^T Phi_a (Phi_a: the rows of Phi in block a).
struct QveRankOutliers {
  Eigen::VectorXd thetas;
  std::vector<double> upper;       // outliers above tau, descending
  std::vector<double> lower;       // outliers below -tau, ascending (mirror: negative spikes)
  Eigen::MatrixXd gram_at_edge;    // Q(tau) = sum_a |m_a(tau)| G_a (nonzero spikes only)
  int root_iterations = 0;
  int fixed_point_iterations = 0;
  int newton_iterations = 0;
  int krylov_iterations = 0;
};

class QveSolver {
 public:
  explicit QveSolver(QveProfile profile, QveOptions options = {});

  const QveProfile& profile() const { return profile_; }

  // z with Im z > 0.
  QveSolution solve(std::complex<double> z) const;
  // Real E with |E| > tau (outside the spectrum). warm: a solution x = |m| at some E' with
  // |E'| >= |E| (optional; speeds up the monotone iteration).
  QveRealSolution solve_real(double E, const Eigen::VectorXd* warm = nullptr) const;
  // Upper and lower edges (computed once, cached).
  const QveEdge& edge() const;
  // Mean density rho(E) = Im <m>(E + i eta)/pi, eta = eta_density * scale.
  double density(double E) const;
  std::vector<double> density(const std::vector<double>& grid) const;
  // Rank-one spike lambda with block masses w_a (w_a >= 0, summing to 1).
  QveOutlier outlier(double lambda, const Eigen::VectorXd& block_weights) const;
  // Rank-r spike with strengths thetas (either sign; zeros are dropped) and block Gram
  // matrices G_a (one r x r symmetric PSD matrix per block, sum_a diag(G_a) = 1: unit vectors).
  QveRankOutliers outliers(const Eigen::VectorXd& thetas, const std::vector<Eigen::MatrixXd>& block_grams) const;
  // G_j = phi_j phi_j^T from the rows phi_j of Phi (P x r): the Gram matrices of a full profile.
  static std::vector<Eigen::MatrixXd> full_profile_grams(const Eigen::MatrixXd& Phi);

  enum class Mode { Dense, Krylov, None };
  Mode mode() const { return mode_; }

 private:
  struct Counts {
    int fp = 0, newton = 0, krylov = 0;
  };
  // x = -m at E > 0; returns false if the monotone iteration diverged (E below the edge) or
  // did not converge within the cap.
  bool real_positive(double E, Eigen::VectorXd& x, int& fp_iters, int& newton_iters, int cap) const;
  bool real_positive(double E, Eigen::VectorXd& x, Counts& c, int cap) const;
  Eigen::VectorXd apply(const Eigen::VectorXd& x) const;  // A x
  // The stages of edge() (qve.cpp says what each does).
  struct CurvePoint;
  double edge_by_bisection(double hi, Eigen::VectorXd& x_hi, Counts& cnt, QveEdge& e) const;
  bool bordered_solve(const Eigen::VectorXd& x, const Eigen::VectorXd& r1, double r2, double rtol,
                      Eigen::VectorXd& dx, double& dE, QveEdge& e) const;
  bool curve_point(double t, const CurvePoint& guess, CurvePoint& out, QveEdge& e) const;
  Eigen::VectorXd edge_by_fold(double hi, const Eigen::VectorXd& x_hi, QveEdge& e) const;
  double edge_constant_by_fit(double tau, const Eigen::VectorXd& x_hi, Counts& cnt) const;
  QveProfile profile_;
  QveOptions options_;
  Mode mode_ = Mode::Dense;
  Eigen::VectorXd w_;  // sqrt(n_a)
  Eigen::MatrixXd A_;  // A = s diag(n), dense mode only
  Eigen::VectorXd f_;  // n_a / n
  mutable std::optional<QveEdge> edge_;
};

}  // namespace batchrmt::theory
