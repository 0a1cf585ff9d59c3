#include "theory/qve.hpp"

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <boost/math/tools/roots.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "theory/damped_continuation.hpp"
#include "theory/qve_krylov.hpp"

namespace batchrmt::theory {

namespace {
constexpr double kPi = boost::math::constants::pi<double>();
using ::batchrmt::detail::fail_check;
using ::batchrmt::detail::format_value;
using qve_detail::conjugate_gradients;
using qve_detail::sup_norm;
}  // namespace

// ------------------------------------------------------------------------------------ profile
QveProfile QveProfile::block(const Eigen::VectorXd& sizes, const Eigen::MatrixXd& variances) {
  const char* fn = "QveProfile";
  const auto K = sizes.size();
  if (K < 1) fail_check(fn, "block sizes", "empty", "must list at least one block");
  for (Eigen::Index a = 0; a < K; ++a) check_positive(fn, "block size", sizes(a));
  if (variances.rows() != K || variances.cols() != K)
    fail_check(fn, "block variances", std::to_string(variances.rows()) + " x " + std::to_string(variances.cols()),
               "must be a " + std::to_string(K) + " x " + std::to_string(K) + " matrix (one row per block)");
  const double scale = variances.cwiseAbs().maxCoeff();
  for (Eigen::Index a = 0; a < K; ++a)
    for (Eigen::Index b = 0; b < K; ++b) {
      check_nonnegative(fn, "block variance", variances(a, b));
      if (std::abs(variances(a, b) - variances(b, a)) > 1e-12 * scale)
        fail_check(fn, "block variance matrix", "not symmetric (entry " + std::to_string(a + 1) + "," +
                                                    std::to_string(b + 1) + " is " + format_value(variances(a, b)) +
                                                    " but entry " + std::to_string(b + 1) + "," +
                                                    std::to_string(a + 1) + " is " + format_value(variances(b, a)) + ")",
                   "must be symmetric");
    }
  if (!(scale > 0.0)) fail_check(fn, "block variance matrix", "all zero", "must have a positive entry");
  QveProfile p;
  p.sizes = sizes;
  p.variances = 0.5 * (variances + variances.transpose());
  return p;
}

QveProfile QveProfile::full(const Eigen::MatrixXd& S) {
  return block(Eigen::VectorXd::Ones(S.rows()), S);
}

Eigen::MatrixXd QveProfile::effective() const { return variances * sizes.asDiagonal(); }
Eigen::VectorXd QveProfile::row_sums() const { return variances * sizes; }

// ------------------------------------------------------------------------------------ solver
QveSolver::QveSolver(QveProfile profile, QveOptions options)
    : profile_(std::move(profile)), options_(options) {
  check_positive("QveSolver", "tol", options_.tol);
  check_at_least("QveSolver", "max_fixed_point_iterations", options_.max_fixed_point_iterations, 1);
  check_positive("QveSolver", "eta_density", options_.eta_density);
  const int K = profile_.blocks();
  mode_ = K <= options_.newton_max_dim ? Mode::Dense : (K <= options_.krylov_max_dim ? Mode::Krylov : Mode::None);
  if (mode_ == Mode::Dense) A_ = profile_.effective();  // a K x K copy only where K is small
  w_ = profile_.sizes.cwiseSqrt();
  f_ = profile_.sizes / profile_.dimension();
}

Eigen::VectorXd QveSolver::apply(const Eigen::VectorXd& x) const {
  if (A_.size() > 0) return A_ * x;
  // s is symmetric (QveProfile symmetrises it): the symmetric product reads half of it.
  return profile_.variances.selfadjointView<Eigen::Lower>() * profile_.sizes.cwiseProduct(x);
}


bool QveSolver::real_positive(double E, Eigen::VectorXd& x, int& fp_iters, int& newton_iters, int cap) const {
  Counts c;
  const bool ok = real_positive(E, x, c, cap);
  fp_iters += c.fp;
  newton_iters += c.newton;
  return ok;
}

bool QveSolver::real_positive(double E, Eigen::VectorXd& x, Counts& c, int cap) const {
  const int K = profile_.blocks();
  if (x.size() != K) x = Eigen::VectorXd::Zero(K);
  bool tried_newton = false;
  for (int it = 0; it < cap; ++it) {
    Eigen::VectorXd den = E - apply(x).array();
    if ((den.array() <= 0.0).any()) return false;  // no real solution: E is inside the spectrum
    Eigen::VectorXd y = den.cwiseInverse();
    ++c.fp;
    const double step = sup_norm(y - x) / sup_norm(y);
    x = y;
    if (step < options_.tol) return true;
    if (!tried_newton && mode_ == Mode::Dense && step < 1e-6) {
      tried_newton = true;
      // Newton on F(x) = 1/x + A x - E (x = -m); the monotone iterate lies below the physical
      // solution, so an accepted Newton result must not fall below it.
      Eigen::VectorXd z = x;
      bool ok = false;
      for (int k = 0; k < 30; ++k) {
        Eigen::VectorXd F = z.cwiseInverse() + A_ * z - Eigen::VectorXd::Constant(K, E);
        Eigen::MatrixXd J = A_;
        J.diagonal() -= z.cwiseProduct(z).cwiseInverse();
        Eigen::VectorXd dz = J.partialPivLu().solve(-F);
        ++c.newton;
        z += dz;
        if (!(z.array() > 0.0).all() || !z.allFinite()) break;
        if (sup_norm(dz) <= 4e-16 * sup_norm(z)) {
          ok = true;
          break;
        }
      }
      if (ok && ((z - x).array() >= -1e-9 * sup_norm(x)).all()) {
        x = z;
        return true;
      }
    }
    if (!tried_newton && mode_ == Mode::Krylov && (step < 1e-2 || it >= 9)) {
      tried_newton = true;
      // Matrix-free Newton from the monotone iterate (a subsolution, F(x) >= 0): with
      // dx = diag(x / w) y the step solves (I - Kx) y = x w F, Kx = diag(x w) s diag(x w),
      // by CG. Kx has spr < 1 below the physical solution, so the steps are >= 0 and the
      // iterates rise monotonically to it [DER, see the header].
      Eigen::VectorXd z = x;
      bool ok = false;
      double prev_step = 1.0;
      for (int k = 0; k < 60; ++k) {
        const Eigen::VectorXd F = z.cwiseInverse() + apply(z) - Eigen::VectorXd::Constant(K, E);
        const Eigen::VectorXd d = z.cwiseProduct(w_);
        auto kx = [&](const Eigen::VectorXd& v) -> Eigen::VectorXd {
          return d.cwiseProduct(profile_.variances.selfadjointView<Eigen::Lower>() * d.cwiseProduct(v));
        };
        const double rtol = std::clamp(sup_norm(F) / E, 1e-13, 1e-2);
        Eigen::VectorXd y;
        if (!conjugate_gradients(kx, d.cwiseProduct(F), y, rtol, options_.krylov_max_iterations, nullptr, c.krylov))
          break;
        const Eigen::VectorXd dz = z.cwiseProduct(y).cwiseQuotient(w_);
        ++c.newton;
        z += dz;
        if (!(z.array() > 0.0).all() || !z.allFinite()) break;
        const double step = sup_norm(dz) / sup_norm(z);
        if (step <= 1e-14 || (step <= 1e-11 && step > 0.25 * prev_step)) {  // converged / rounding floor
          ok = true;
          break;
        }
        prev_step = step;
      }
      if (ok && ((z - x).array() >= -1e-9 * sup_norm(x)).all()) {
        x = z;
        return true;
      }
      // otherwise keep iterating monotonically
    }
  }
  return false;
}

QveRealSolution QveSolver::solve_real(double E, const Eigen::VectorXd* warm) const {
  check_finite("QveSolver::solve_real", "E", E);
  QveRealSolution s;
  const double a = std::abs(E);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(profile_.blocks());
  if (warm) x = warm->cwiseAbs();
  Counts c;
  s.converged = (a > 0.0) && real_positive(a, x, c, options_.max_fixed_point_iterations);
  s.fixed_point_iterations = c.fp;
  s.newton_iterations = c.newton;
  s.krylov_iterations = c.krylov;
  if (!s.converged)
    fail_check("QveSolver::solve_real", "E", format_value(E),
               "must lie outside the spectrum [-" + format_value(edge().upper) + ", " + format_value(edge().upper) +
                   "] (the real iteration did not converge)");
  s.m = (E > 0 ? -1.0 : 1.0) * x;
  s.mean = f_.dot(s.m);
  s.residual = sup_norm(s.m.cwiseInverse() + Eigen::VectorXd::Constant(x.size(), E) + apply(s.m));
  return s;
}

QveSolution QveSolver::solve(std::complex<double> z) const {
  const char* fn = "QveSolver::solve";
  check_finite(fn, "Re z", z.real());
  check_positive(fn, "Im z", z.imag());
  const int K = profile_.blocks();
  using CV = Eigen::VectorXcd;
  QveSolution s;
  const Eigen::MatrixXcd Ac = A_.cast<std::complex<double>>();  // empty outside dense mode
  auto apply_c = [&](const CV& v) -> CV {
    if (Ac.size() > 0) return Ac * v;
    CV out(K);
    out.real() = apply(v.real());
    out.imag() = apply(v.imag());
    return out;
  };
  CV m = CV::Constant(K, std::complex<double>(0.0, 1.0));
  DampedContinuation continuation;
  continuation.eta_start = 1.0 + std::sqrt(profile_.row_sums().maxCoeff());
  continuation.max_iterations = options_.max_fixed_point_iterations;
  continuation.tol = options_.tol;
  continuation.polish = mode_ == Mode::Dense;
  auto phi = [&](const std::complex<double>& zz, const CV& v) -> CV { return -(zz * CV::Ones(K) + apply_c(v)).cwiseInverse(); };
  // Newton polish on F(m) = 1/m + z + A m (dense mode).
  auto newton = [&](const std::complex<double>& zz, const CV& start) -> std::optional<CV> {
    CV w = start;
    for (int k = 0; k < 40; ++k) {
      CV F = w.cwiseInverse() + zz * CV::Ones(K) + Ac * w;
      Eigen::MatrixXcd J = Ac;
      J.diagonal() -= w.cwiseProduct(w).cwiseInverse();
      CV dw = J.partialPivLu().solve(-F);
      ++s.newton_iterations;
      w += dw;
      if (!w.allFinite()) return std::nullopt;
      if (dw.cwiseAbs().maxCoeff() <= 4e-16 * w.cwiseAbs().maxCoeff()) return w;
    }
    return std::nullopt;
  };
  s.converged = damped_continuation(z, continuation, m, phi, newton, s.fixed_point_iterations);
  s.m = m;
  s.mean = (f_.cast<std::complex<double>>().array() * m.array()).sum();
  s.residual = (m.cwiseInverse() + z * CV::Ones(K) + apply_c(m)).cwiseAbs().maxCoeff();
  if (!s.converged)
    throw NumericalFailure("QveSolver::solve: the fixed-point iteration did not converge at z = (" +
                           format_value(z.real()) + ", " + format_value(z.imag()) + ") within " +
                           std::to_string(options_.max_fixed_point_iterations) + " iterations.");
  if (!(m.imag().array() > 0.0).all())
    throw NumericalFailure("QveSolver::solve: the solution left the upper half-plane at z = (" +
                           format_value(z.real()) + ", " + format_value(z.imag()) + ").");
  return s;
}

double QveSolver::density(double E) const {
  check_finite("QveSolver::density", "E", E);
  const double scale = std::sqrt(profile_.row_sums().maxCoeff());
  if (std::abs(E) > 2.0 * scale * (1.0 + 1e-9)) return 0.0;  // outside the support bound of §2.5
  const QveSolution s = solve({E, options_.eta_density * scale});
  return std::max(0.0, s.mean.imag() / kPi);
}

std::vector<double> QveSolver::density(const std::vector<double>& grid) const {
  std::vector<double> out;
  out.reserve(grid.size());
  for (double E : grid) out.push_back(density(E));
  return out;
}

QveOutlier QveSolver::outlier(double lambda, const Eigen::VectorXd& w) const {
  const char* fn = "QveSolver::outlier";
  check_finite(fn, "lambda", lambda);
  if (w.size() != profile_.blocks())
    fail_check(fn, "spike weights", std::to_string(w.size()) + " values",
               "must give one weight per block (" + std::to_string(profile_.blocks()) + ")");
  for (Eigen::Index a = 0; a < w.size(); ++a) check_nonnegative(fn, "spike weight", w(a));
  if (std::abs(w.sum() - 1.0) > 1e-9)
    fail_check(fn, "the sum of the spike weights", format_value(w.sum()), "must be 1 (the spike is a unit vector)");
  QveOutlier o;
  o.lambda = lambda;
  const QveEdge& e = edge();
  const Eigen::VectorXd r = profile_.row_sums();
  const double a = std::abs(lambda);
  if (lambda != 0.0) o.first_order = lambda + w.dot(r) / lambda;
  const Eigen::VectorXd x_tau = -e.m_at_edge;
  o.threshold = 1.0 / w.dot(x_tau);
  if (a <= o.threshold * (1.0 + 1e-13)) {
    o.regime = (std::abs(a - o.threshold) <= 1e-13 * o.threshold) ? SpikeRegime::Critical : SpikeRegime::Subcritical;
    return o;
  }
  o.regime = SpikeRegime::Supercritical;
  const double tau = e.upper;
  // h(E) = 1 - a w.x(E): negative at tau (a > lambda_c), >= 0 at tau + a since |m_a(E)| <= 1/(E - tau).
  std::map<double, Eigen::VectorXd> sols;
  auto h = [&](double E) {
    if (E <= tau) return 1.0 - a / o.threshold;
    Eigen::VectorXd x;
    auto it = sols.lower_bound(E);
    if (it != sols.end()) x = it->second;  // warm start from a larger E
    Counts c;
    const bool ok = real_positive(E, x, c, options_.max_fixed_point_iterations);
    o.fixed_point_iterations += c.fp;
    o.newton_iterations += c.newton;
    o.krylov_iterations += c.krylov;
    if (!ok)
      throw NumericalFailure("QveSolver::outlier: the real iteration did not converge at E = " + format_value(E) + ".");
    sols[E] = x;
    return 1.0 - a * w.dot(x);
  };
  const double lo = tau, hi = tau + a;
  std::uintmax_t iters = 200;
  auto root = boost::math::tools::toms748_solve(h, lo, hi, 1.0 - a / o.threshold, h(hi),
                                                boost::math::tools::eps_tolerance<double>(50), iters);
  o.root_iterations = static_cast<int>(iters);
  const double E = 0.5 * (root.first + root.second);
  o.outlier = lambda > 0 ? E : -E;
  return o;
}

std::vector<Eigen::MatrixXd> QveSolver::full_profile_grams(const Eigen::MatrixXd& Phi) {
  std::vector<Eigen::MatrixXd> g;
  g.reserve(static_cast<std::size_t>(Phi.rows()));
  for (Eigen::Index j = 0; j < Phi.rows(); ++j) g.push_back(Phi.row(j).transpose() * Phi.row(j));
  return g;
}

// docs/theory.md §2.5(e) [STD-level] (Mergny, Ko & Krzakala 2024, arXiv:2403.03695), rank r:
// outliers are the E, |E| > tau, with det(I_r + Lambda sum_a m_a(E) G_a) = 0. Above the bulk
// (E = e > tau, m_a = -x_a(e)) this is det(Lambda) det(Lambda^-1 - Q(e)) = 0 with
// Q(e) = sum_a x_a(e) G_a; below (E = -e, m_a = +x_a(e)) it is the same with Lambda -> -Lambda.
// Q(e) is PSD and decreases (Loewner order) from Q(tau) to 0, so every eigenvalue mu_k(e) of
// Lambda^-1 - Q(e) (ascending) increases (Weyl) and crosses 0 at most once [DER]: the outliers
// are the roots of mu_k for the k with mu_k(tau) < 0 < mu_k(inf) = lambda_k(Lambda^-1), each
// found by Boost toms748 on [tau, tau + max|theta| ||sum_a G_a||] (|m_a(E)| <= 1/(E - tau)).
// Unlike a scan for sign changes of the determinant this also finds double roots.
QveRankOutliers QveSolver::outliers(const Eigen::VectorXd& thetas, const std::vector<Eigen::MatrixXd>& grams) const {
  const char* fn = "QveSolver::outliers";
  const int K = profile_.blocks();
  const auto r = thetas.size();
  if (r < 1) fail_check(fn, "spike strengths", "empty", "must list at least one spike");
  for (Eigen::Index i = 0; i < r; ++i) check_finite(fn, "spike strength", thetas(i));
  if (static_cast<int>(grams.size()) != K)
    fail_check(fn, "block Gram matrices", std::to_string(grams.size()) + " matrices",
               "must give one r x r matrix per block (" + std::to_string(K) + ")");
  Eigen::MatrixXd total = Eigen::MatrixXd::Zero(r, r);
  for (const auto& G : grams) {
    if (G.rows() != r || G.cols() != r)
      fail_check(fn, "a block Gram matrix", std::to_string(G.rows()) + " x " + std::to_string(G.cols()),
                 "must be r x r with r = " + std::to_string(r) + " spikes");
    if (!G.allFinite()) fail_check(fn, "a block Gram matrix", "not finite", "must be finite");
    const double sc = std::max(1.0, G.cwiseAbs().maxCoeff());
    if ((G - G.transpose()).cwiseAbs().maxCoeff() > 1e-12 * sc)
      fail_check(fn, "a block Gram matrix", "not symmetric", "must be symmetric (Phi_a^T Phi_a)");
    for (Eigen::Index i = 0; i < r; ++i) check_nonnegative(fn, "a Gram diagonal entry", G(i, i));
    total += G;
  }
  for (Eigen::Index i = 0; i < r; ++i)
    if (std::abs(total(i, i) - 1.0) > 1e-9)
      fail_check(fn, ("the squared norm of spike " + std::to_string(i + 1)).c_str(), format_value(total(i, i)),
                 "must be 1 (sum_a diag(G_a) = 1: unit spike vectors)");
  QveRankOutliers out;
  out.thetas = thetas;
  std::vector<Eigen::Index> keep;  // theta_i = 0 contributes an identity row: drop it
  for (Eigen::Index i = 0; i < r; ++i)
    if (thetas(i) != 0.0) keep.push_back(i);
  const auto q = static_cast<Eigen::Index>(keep.size());
  auto restrict = [&](const Eigen::MatrixXd& M) {
    Eigen::MatrixXd R(q, q);
    for (Eigen::Index i = 0; i < q; ++i)
      for (Eigen::Index j = 0; j < q; ++j) R(i, j) = M(keep[i], keep[j]);
    return R;
  };
  std::vector<Eigen::MatrixXd> G;
  G.reserve(grams.size());
  for (const auto& g : grams) G.push_back(restrict(g));
  Eigen::VectorXd th(q);
  for (Eigen::Index i = 0; i < q; ++i) th(i) = thetas(keep[i]);
  const QveEdge& e = edge();
  const double tau = e.upper;
  auto gram_of = [&](const Eigen::VectorXd& x) {
    Eigen::MatrixXd Q = Eigen::MatrixXd::Zero(q, q);
    for (int a = 0; a < K; ++a)
      if (x(a) != 0.0) Q += x(a) * G[static_cast<std::size_t>(a)];
    return Q;
  };
  const Eigen::VectorXd x_tau = -e.m_at_edge;
  out.gram_at_edge = gram_of(x_tau);
  if (q == 0) return out;
  const double norm_total = std::max(
      1e-300, Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(restrict(total), Eigen::EigenvaluesOnly).eigenvalues().maxCoeff());
  std::map<double, Eigen::VectorXd> sols;  // x(e), shared by both signs
  auto x_at = [&](double E) -> Eigen::VectorXd {
    auto it = sols.find(E);
    if (it != sols.end()) return it->second;
    Eigen::VectorXd x;
    auto up = sols.lower_bound(E);
    if (up != sols.end()) x = up->second;  // warm start from a larger E (a subsolution)
    Counts c;
    const bool ok = real_positive(E, x, c, options_.max_fixed_point_iterations);
    out.fixed_point_iterations += c.fp;
    out.newton_iterations += c.newton;
    out.krylov_iterations += c.krylov;
    if (!ok) throw NumericalFailure("QveSolver::outliers: the real iteration did not converge at E = " + format_value(E) + ".");
    sols[E] = x;
    return x;
  };
  auto eigs = [](const Eigen::MatrixXd& M) {
    return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(M, Eigen::EigenvaluesOnly).eigenvalues().eval();
  };
  for (const double sign : {1.0, -1.0}) {
    const Eigen::MatrixXd inv = (sign * th).cwiseInverse().asDiagonal();
    const Eigen::VectorXd mu_tau = eigs(inv - out.gram_at_edge), mu_inf = eigs(inv);
    const double scale = mu_inf.cwiseAbs().maxCoeff();
    std::vector<double> roots;
    for (Eigen::Index k = 0; k < q; ++k) {
      // strictly negative at tau (1e-13 relative: exactly critical spikes give no outlier, as
      // in outlier()) and positive at infinity
      if (!(mu_tau(k) < -1e-13 * scale) || !(mu_inf(k) > 0.0)) continue;
      auto mu = [&](double E) {
        if (E <= tau) return mu_tau(k);
        return eigs(inv - gram_of(x_at(E)))(k);
      };
      double hi = tau + th.cwiseAbs().maxCoeff() * norm_total * (1.0 + 1e-12);
      double mu_hi = mu(hi);
      for (int d = 0; mu_hi < 0.0; ++d) {  // rounding only; the bound above is sufficient
        if (d > 60) throw NumericalFailure("QveSolver::outliers: could not bracket an outlier.");
        hi = tau + 2.0 * (hi - tau);
        mu_hi = mu(hi);
      }
      std::uintmax_t iters = 200;
      const auto root = boost::math::tools::toms748_solve(mu, tau, hi, mu_tau(k), mu_hi,
                                                          boost::math::tools::eps_tolerance<double>(50), iters);
      out.root_iterations += static_cast<int>(iters);
      roots.push_back(0.5 * (root.first + root.second));
    }
    std::sort(roots.begin(), roots.end(), std::greater<double>());
    for (double E : roots) (sign > 0 ? out.upper : out.lower).push_back(sign * E);
  }
  return out;
}

}  // namespace batchrmt::theory
