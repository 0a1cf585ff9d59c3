#include "theory/gram_profile.hpp"

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <cmath>
#include <optional>
#include <string>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "theory/damped_continuation.hpp"

namespace batchrmt::theory {

namespace {
using ::batchrmt::detail::fail_check;
using ::batchrmt::detail::format_value;
using CV = Eigen::VectorXcd;
using cd = std::complex<double>;
}  // namespace

GramProfile GramProfile::block(const Eigen::VectorXd& row_sizes, const Eigen::VectorXd& col_sizes,
                               const Eigen::MatrixXd& variances) {
  const char* fn = "GramProfile";
  if (row_sizes.size() < 1) fail_check(fn, "row block sizes", "empty", "must list at least one block");
  if (col_sizes.size() < 1) fail_check(fn, "column block sizes", "empty", "must list at least one block");
  for (Eigen::Index a = 0; a < row_sizes.size(); ++a) check_positive(fn, "row block size", row_sizes(a));
  for (Eigen::Index b = 0; b < col_sizes.size(); ++b) check_positive(fn, "column block size", col_sizes(b));
  if (variances.rows() != row_sizes.size() || variances.cols() != col_sizes.size())
    fail_check(fn, "variance profile", std::to_string(variances.rows()) + " x " + std::to_string(variances.cols()),
               "must be " + std::to_string(row_sizes.size()) + " x " + std::to_string(col_sizes.size()) +
                   " (row blocks x column blocks)");
  for (Eigen::Index a = 0; a < variances.rows(); ++a)
    for (Eigen::Index b = 0; b < variances.cols(); ++b) check_nonnegative(fn, "entry variance", variances(a, b));
  if (!(variances.maxCoeff() > 0.0)) fail_check(fn, "variance profile", "all zero", "must have a positive entry");
  return GramProfile{row_sizes, col_sizes, variances};
}

GramProfile GramProfile::full(const Eigen::MatrixXd& sigma2) {
  return block(Eigen::VectorXd::Ones(sigma2.rows()), Eigen::VectorXd::Ones(sigma2.cols()), sigma2);
}

GramProfileSolver::GramProfileSolver(GramProfile profile, GramOptions options)
    : profile_(std::move(profile)), options_(options) {
  check_positive("GramProfileSolver", "tol", options_.tol);
  check_positive("GramProfileSolver", "eta_density", options_.eta_density);
  const double m = profile_.columns();
  Rr_ = profile_.variances * profile_.col_sizes.asDiagonal() / m;
  Rc_ = profile_.variances.transpose() * profile_.row_sizes.asDiagonal() / m;
  scale_ = profile_.variances.maxCoeff() * std::pow(1.0 + std::sqrt(profile_.gamma()), 2);
}

// docs/theory.md §2.6 Profiles [STD]; Hachem, Loubaton & Najim 2007 (equations in the header).
GramSolution GramProfileSolver::solve(std::complex<double> z) const {
  const char* fn = "GramProfileSolver::solve";
  check_finite(fn, "Re z", z.real());
  check_positive(fn, "Im z", z.imag());
  const Eigen::Index Kr = Rr_.rows(), Kc = Rr_.cols();
  const Eigen::MatrixXcd Rr = Rr_.cast<cd>(), Rc = Rc_.cast<cd>();
  auto tilde = [&](const cd& zz, const CV& psi) -> CV { return -(zz * (CV::Ones(Kc) + Rc * psi)).cwiseInverse(); };
  auto phi = [&](const cd& zz, const CV& psi) -> CV {
    return -(zz * (CV::Ones(Kr) + Rr * tilde(zz, psi))).cwiseInverse();
  };
  GramSolution s;
  CV psi = CV::Constant(Kr, cd(0.0, 1.0) / std::max(1.0, scale_));
  DampedContinuation continuation;
  continuation.eta_start = 1.0 + scale_;
  continuation.max_iterations = options_.max_fixed_point_iterations;
  continuation.tol = options_.tol;
  continuation.polish = Kr + Kc <= options_.newton_max_dim;
  // Newton on G(u) = [1/psi + z (1 + Rr psit); 1/psit + z (1 + Rc psi)], u = [psi; psit] (dense mode);
  // psi when it converged with Im psit > 0.
  auto newton = [&](const cd& zz, const CV& start) -> std::optional<CV> {
    CV u(Kr + Kc);
    u.head(Kr) = start;
    u.tail(Kc) = tilde(zz, start);
    double prev = 1.0;
    for (int k = 0; k < 40; ++k) {
      CV G(Kr + Kc);
      G.head(Kr) = u.head(Kr).cwiseInverse() + zz * (CV::Ones(Kr) + Rr * u.tail(Kc));
      G.tail(Kc) = u.tail(Kc).cwiseInverse() + zz * (CV::Ones(Kc) + Rc * u.head(Kr));
      Eigen::MatrixXcd J = Eigen::MatrixXcd::Zero(Kr + Kc, Kr + Kc);
      J.topRightCorner(Kr, Kc) = zz * Rr;
      J.bottomLeftCorner(Kc, Kr) = zz * Rc;
      J.diagonal() = -u.cwiseProduct(u).cwiseInverse();
      const CV du = J.partialPivLu().solve(-G);
      ++s.newton_iterations;
      u += du;
      if (!u.allFinite()) return std::nullopt;
      const double step = du.cwiseAbs().maxCoeff() / u.cwiseAbs().maxCoeff();
      if (step <= 4e-16 || (step <= 1e-12 && step > 0.25 * prev)) {  // converged / rounding floor
        if (!(u.tail(Kc).imag().array() > 0.0).all()) return std::nullopt;
        return CV(u.head(Kr));
      }
      prev = step;
    }
    return std::nullopt;
  };
  s.converged = damped_continuation(z, continuation, psi, phi, newton, s.fixed_point_iterations);
  s.psi = psi;
  s.psi_tilde = tilde(z, psi);
  // psit from the converged psi solves its equation exactly; report the psi equation's residual
  s.residual = std::max((psi.cwiseInverse() + z * (CV::Ones(Kr) + Rr * s.psi_tilde)).cwiseAbs().maxCoeff(),
                        (s.psi_tilde.cwiseInverse() + z * (CV::Ones(Kc) + Rc * psi)).cwiseAbs().maxCoeff());
  const double n = profile_.rows(), m = profile_.columns();
  s.stieltjes = (profile_.row_sizes.cast<cd>().array() * psi.array()).sum() / n;
  s.stieltjes_tilde = (profile_.col_sizes.cast<cd>().array() * s.psi_tilde.array()).sum() / m;
  if (!s.converged)
    throw NumericalFailure(std::string(fn) + ": the fixed-point iteration did not converge at z = (" +
                           format_value(z.real()) + ", " + format_value(z.imag()) + ").");
  if (!(psi.imag().array() > 0.0).all() || !(s.psi_tilde.imag().array() > 0.0).all())
    throw NumericalFailure(std::string(fn) + ": the solution left the upper half-plane at z = (" +
                           format_value(z.real()) + ", " + format_value(z.imag()) + ").");
  return s;
}

double GramProfileSolver::density(double x) const {
  check_finite("GramProfileSolver::density", "x", x);
  if (x < 0.0) return 0.0;  // Y Y^T is positive semi-definite
  const GramSolution s = solve({x, options_.eta_density * scale_});
  return std::max(0.0, s.stieltjes.imag() / boost::math::constants::pi<double>());
}

std::vector<double> GramProfileSolver::density(const std::vector<double>& grid) const {
  std::vector<double> out;
  out.reserve(grid.size());
  for (double x : grid) out.push_back(density(x));
  return out;
}

}  // namespace batchrmt::theory
