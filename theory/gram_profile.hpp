// Gram matrices with a variance profile: Y Y^T, Y of size n x m with independent centred
// entries, Var Y_ij = sigma_ij^2 / m (block profiles: row blocks of sizes n_a, column blocks of
// sizes m_b, sigma_ij^2 = sigma2_ab for i in a, j in b; a full profile has every size 1).
//
// docs/theory.md §2.6 Profiles [STD] (Hachem, Loubaton & Najim 2007, Ann. Appl. Probab. 17:875):
//   psi_i(z)  = -1 / ( z (1 + (1/m) sum_j sigma_ij^2 psit_j(z)) ),
//   psit_j(z) = -1 / ( z (1 + (1/m) sum_i sigma_ij^2 psi_i(z)) ),
// Stieltjes transform of the spectrum of Y Y^T: (1/n) sum_i psi_i; of Y^T Y: (1/m) sum_j psit_j;
// density Im (1/n) sum_i psi_i(x + i0) / pi. Flat sigma_ij^2 = sigma^2 gives Marchenko-Pastur
// with gamma = n/m and variance sigma^2 (§2.2; unit-tested). The hermitisation
// [[0, Y], [Y^T, 0]] with the QVE of §2.5 gives psi_i(zeta^2) = m_i(zeta) / zeta (unit-tested).
//
// Numerics (counts returned), as §2.5(a): damped fixed point psi <- (psi + Phi(psi)) / 2 with
// Phi(psi) = -1/(z (1 + Rr psit(psi))), continued in eta = Im z from a large value down by
// halving, each level polished by Newton on the coupled 2 x 2 block system (dense LU while
// Kr + Kc <= newton_max_dim).
#pragma once

#include <Eigen/Dense>
#include <complex>
#include <vector>

namespace batchrmt::theory {

struct GramProfile {
  Eigen::VectorXd row_sizes;  // n_a > 0
  Eigen::VectorXd col_sizes;  // m_b > 0
  Eigen::MatrixXd variances;  // sigma2_ab >= 0, Kr x Kc, not all zero

  static GramProfile block(const Eigen::VectorXd& row_sizes, const Eigen::VectorXd& col_sizes,
                           const Eigen::MatrixXd& variances);
  // sigma2 (n x m): sigma_ij^2 of every entry.
  static GramProfile full(const Eigen::MatrixXd& sigma2);

  double rows() const { return row_sizes.sum(); }     // n
  double columns() const { return col_sizes.sum(); }  // m
  double gamma() const { return rows() / columns(); }
};

struct GramOptions {
  double tol = 1e-14;
  int max_fixed_point_iterations = 200000;
  int newton_max_dim = 600;
  double eta_density = 1e-12;  // Im z for the density, times max sigma2 (1 + sqrt gamma)^2
};

struct GramSolution {
  Eigen::VectorXcd psi;        // per row block
  Eigen::VectorXcd psi_tilde;  // per column block
  std::complex<double> stieltjes;        // (1/n) sum_a n_a psi_a: Y Y^T
  std::complex<double> stieltjes_tilde;  // (1/m) sum_b m_b psit_b: Y^T Y
  int fixed_point_iterations = 0;
  int newton_iterations = 0;
  double residual = 0.0;  // sup norm of both equations written as 1/psi + z (1 + R psit)
  bool converged = false;
};

class GramProfileSolver {
 public:
  explicit GramProfileSolver(GramProfile profile, GramOptions options = {});
  const GramProfile& profile() const { return profile_; }
  // z with Im z > 0.
  GramSolution solve(std::complex<double> z) const;
  // Density of the continuous part of the spectrum of Y Y^T at x (an atom of mass 1 - m/n at 0
  // when n > m is not included), Im stieltjes(x + i eta)/pi.
  double density(double x) const;
  std::vector<double> density(const std::vector<double>& grid) const;

 private:
  GramProfile profile_;
  GramOptions options_;
  Eigen::MatrixXd Rr_;  // sigma2 diag(m_b) / m   (Kr x Kc)
  Eigen::MatrixXd Rc_;  // sigma2^T diag(n_a) / m (Kc x Kr)
  double scale_ = 1.0;
};

}  // namespace batchrmt::theory
