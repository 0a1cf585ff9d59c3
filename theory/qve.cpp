#include "theory/qve.hpp"

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <boost/math/tools/roots.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "core/checks.hpp"
#include "core/errors.hpp"

namespace batchrmt::theory {

namespace {
constexpr double kPi = boost::math::constants::pi<double>();
using ::batchrmt::detail::fail_check;
using ::batchrmt::detail::format_value;

double sup_norm(const Eigen::VectorXd& v) { return v.cwiseAbs().maxCoeff(); }
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

namespace {
// Conjugate gradients (Hestenes & Stiefel 1952) for (I - Kx) y = rhs, optionally on the
// orthogonal complement of the unit vector u (rhs must lie there). Fails on non-positive
// curvature (the operator is not positive definite) or when maxit is reached.
template <class Op>
bool conjugate_gradients(const Op& kx, const Eigen::VectorXd& rhs, Eigen::VectorXd& y, double rtol, int maxit,
                         const Eigen::VectorXd* u, int& iters, double* u_part = nullptr) {
  // u_part (with u): accumulates u^T (I - Kx) y, the component the projection removes.
  if (u_part) *u_part = 0.0;
  y = Eigen::VectorXd::Zero(rhs.size());
  Eigen::VectorXd r = rhs;
  if (u) r -= u->dot(r) * (*u);
  double rr = r.squaredNorm();
  const double stop = rtol * rtol * rr;
  if (rr == 0.0) return true;
  Eigen::VectorXd p = r;
  for (int it = 0; it < maxit; ++it) {
    Eigen::VectorXd q = p - kx(p);
    ++iters;
    const double uq = u ? u->dot(q) : 0.0;
    if (u) q -= uq * (*u);
    const double pq = p.dot(q);
    if (!(pq > 0.0)) return false;
    const double alpha = rr / pq;
    if (u_part) *u_part += alpha * uq;
    y.noalias() += alpha * p;
    r.noalias() -= alpha * q;
    const double rr_new = r.squaredNorm();
    if (rr_new <= stop) return true;
    p = r + (rr_new / rr) * p;
    rr = rr_new;
  }
  return false;
}
}  // namespace

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
  const double eta_target = z.imag();
  double eta = std::max(eta_target, 1.0 + std::sqrt(profile_.row_sums().maxCoeff()));
  while (true) {
    const std::complex<double> zz(z.real(), eta);
    const bool last = (eta <= eta_target);
    bool done = false;
    // damped fixed point (Helton, Rashidi Far & Speicher 2007)
    const int cap = last ? options_.max_fixed_point_iterations : 2000;
    const bool dense = mode_ == Mode::Dense;
    const int before_newton = dense ? 30 : cap;
    int local = 0;
    for (; local < cap; ++local) {
      CV T = -(zz * CV::Ones(K) + apply_c(m)).cwiseInverse();
      CV next = 0.5 * (m + T);
      ++s.fixed_point_iterations;
      const double step = (next - m).cwiseAbs().maxCoeff() / next.cwiseAbs().maxCoeff();
      m = next;
      if (step < options_.tol) {
        done = true;
        break;
      }
      if (local + 1 >= before_newton && (local + 1 - before_newton) % 200 == 0 && dense) {
        // Newton polish on F(m) = 1/m + z + A m
        CV w = m;
        bool ok = false;
        for (int k = 0; k < 40; ++k) {
          CV F = w.cwiseInverse() + zz * CV::Ones(K) + Ac * w;
          Eigen::MatrixXcd J = Ac;
          J.diagonal() -= w.cwiseProduct(w).cwiseInverse();
          CV dw = J.partialPivLu().solve(-F);
          ++s.newton_iterations;
          w += dw;
          if (!w.allFinite()) break;
          if (dw.cwiseAbs().maxCoeff() <= 4e-16 * w.cwiseAbs().maxCoeff()) {
            ok = true;
            break;
          }
        }
        if (ok && (w.imag().array() > 0.0).all()) {
          m = w;
          done = true;
          break;
        }
        // Newton failed (near an edge or far from the solution): continue damping
      }
    }
    if (last) {
      s.converged = done;
      break;
    }
    eta = std::max(eta_target, 0.5 * eta);
  }
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

namespace {
// spr(diag(x) A diag(x)) for A = s diag(n): similar to the symmetric non-negative
// Kx = diag(x sqrt n) s diag(x sqrt n), whose spectral radius is its largest eigenvalue
// (Perron-Frobenius). Dense eigenvalues up to K = 400; beyond, Lanczos with full
// reorthogonalisation (Lanczos 1950; Paige 1980), matrix-free, stopped when the top Ritz value
// is stable to 1e-15 relative. It keeps its own short recurrence (theory/ does not depend on
// spectral/): at most 300 steps of K-vectors, the Ritz values from the tridiagonal's diagonals.
double stability_radius(const Eigen::MatrixXd& s, const Eigen::VectorXd& n, const Eigen::VectorXd& x, int& steps) {
  const Eigen::VectorXd d = x.cwiseProduct(n.cwiseSqrt());
  const Eigen::Index K = d.size();
  if (K <= 400) {
    const Eigen::MatrixXd M = d.asDiagonal() * s * d.asDiagonal();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(M, Eigen::EigenvaluesOnly);
    return es.eigenvalues().cwiseAbs().maxCoeff();
  }
  const int kmax = static_cast<int>(std::min<Eigen::Index>(K, 300));
  Eigen::MatrixXd V(K, kmax + 1);
  std::vector<double> alpha, beta;
  V.col(0) = Eigen::VectorXd::Ones(K).normalized();
  double prev = 0.0, top = 0.0;
  for (int j = 0; j < kmax; ++j) {
    Eigen::VectorXd w = d.cwiseProduct(s.selfadjointView<Eigen::Lower>() * d.cwiseProduct(V.col(j)));
    ++steps;
    alpha.push_back(V.col(j).dot(w));
    for (int pass = 0; pass < 2; ++pass) w -= V.leftCols(j + 1) * (V.leftCols(j + 1).transpose() * w);
    const double bn = w.norm();
    // The eigenvalues of T_{j+1} from its diagonals (implicit QL, O(j^2); no dense T).
    const Eigen::Map<const Eigen::VectorXd> a(alpha.data(), j + 1);
    const Eigen::Map<const Eigen::VectorXd> b(beta.data(), j);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
    es.computeFromTridiagonal(a, b, Eigen::EigenvaluesOnly);
    top = es.eigenvalues().maxCoeff();
    if ((j > 2 && std::abs(top - prev) <= 1e-15 * std::abs(top)) || bn <= 1e-300) break;
    prev = top;
    beta.push_back(bn);
    V.col(j + 1) = w / bn;
  }
  return top;
}
}  // namespace

// Coarse stage: bisection on the derivative-free test of docs/theory.md 2.5(c) (Boost bisect) from
// [0, hi], to relative width 1e-4 when the fold stage follows, else 1e-9. Boost bisect keeps the
// bracket [lo, hi] with test(lo) < 0 < test(hi); every midpoint it certifies lies below the
// previous certified point, so x_hi always belongs to the bracket's upper end (and is a valid warm
// start for the next midpoint). Returns the new upper end.
double QveSolver::edge_by_bisection(double hi, Eigen::VectorXd& x_hi, Counts& cnt, QveEdge& e) const {
  const bool fold = mode_ != Mode::None;
  const double rel_width = fold ? 1e-4 : 1e-9;
  const int cap = fold ? 20000 : options_.max_fixed_point_iterations;
  auto test = [&](double E) {
    Eigen::VectorXd x = x_hi;  // warm start: solution at the lowest certified point above
    if (real_positive(E, x, cnt, cap)) {
      x_hi = x;
      return 1.0;
    }
    return -1.0;
  };
  auto stop = [&](double a, double b) { return (b - a) <= rel_width * b; };
  std::uintmax_t bis_iter = 200;
  const auto bracket = boost::math::tools::bisect(test, 0.0, hi, stop, bis_iter);
  e.bisection_iterations = static_cast<int>(bis_iter);
  e.bracket_width = bracket.second - bracket.first;
  return bracket.second;
}

// A point of the real solution curve parameterised by t = f.x = -<m>, with its tangent.
struct QveSolver::CurvePoint {
  Eigen::VectorXd x, dxdt;
  double E = 0.0, g = 0.0;  // g = dE/dt
};

// Bordered solve [J(x), -1; f^T, 0] [dx; dE] = [r1; r2], J = A - diag(x^-2), dense by LU.
// Krylov mode: with dx = diag(x / w) y and b = x w it is [I - Kx, b; b^T, 0][y; dE] =
// [-x w r1; ntot r2] (row 1 multiplied by -diag(x w)); y = y0 + z, y0 = ntot r2 b / |b|^2,
// z on b^perp by CG, dE from the b-component of row 1.
bool QveSolver::bordered_solve(const Eigen::VectorXd& x, const Eigen::VectorXd& r1, double r2, double rtol,
                               Eigen::VectorXd& dx, double& dE, QveEdge& e) const {
  const Eigen::Index K = x.size();
  ++e.newton_iterations;
  if (mode_ != Mode::Krylov) {
    Eigen::MatrixXd Jb(K + 1, K + 1);
    Jb.topLeftCorner(K, K) = A_;
    Jb.topLeftCorner(K, K).diagonal() -= x.cwiseProduct(x).cwiseInverse();
    Jb.topRightCorner(K, 1) = -Eigen::VectorXd::Ones(K);
    Jb.bottomLeftCorner(1, K) = f_.transpose();
    Jb(K, K) = 0.0;
    Eigen::VectorXd rhs(K + 1);
    rhs.head(K) = r1;
    rhs(K) = r2;
    const Eigen::VectorXd d = Jb.partialPivLu().solve(rhs);
    dx = d.head(K);
    dE = d(K);
    return dx.allFinite() && std::isfinite(dE);
  }
  const double ntot = profile_.dimension();
  const Eigen::VectorXd b = x.cwiseProduct(w_);
  auto kx = [&](const Eigen::VectorXd& v) -> Eigen::VectorXd {
    return b.cwiseProduct(profile_.variances.selfadjointView<Eigen::Lower>() * b.cwiseProduct(v));
  };
  const double bb = b.squaredNorm();
  const Eigen::VectorXd u = b / std::sqrt(bb);
  const Eigen::VectorXd c = -b.cwiseProduct(r1);
  const Eigen::VectorXd y0 = (ntot * r2 / bb) * b;
  const Eigen::VectorXd My0 = y0 - kx(y0);
  Eigen::VectorXd z;
  ++e.krylov_iterations;  // the product in My0
  double uMz = 0.0;       // u^T (I - Kx) z, tracked by CG
  if (!conjugate_gradients(kx, c - My0, z, rtol, options_.krylov_max_iterations, &u, e.krylov_iterations, &uMz))
    return false;
  const Eigen::VectorXd y = y0 + z;
  dE = (b.dot(c - My0) - std::sqrt(bb) * uMz) / bb;
  dx = x.cwiseProduct(y).cwiseQuotient(w_);
  return dx.allFinite() && std::isfinite(dE);
}

// Newton on [F(x, E); f.x - t] = 0, F = 1/x + A x - E (from `guess`, with a tangent predictor in
// krylov mode), then the tangent [dx/dt; dE/dt] from [J -1; f^T 0][dx; dE] = [0; 1].
bool QveSolver::curve_point(double t, const CurvePoint& guess, CurvePoint& out, QveEdge& e) const {
  const bool krylov = mode_ == Mode::Krylov;
  const Eigen::Index K = guess.x.size();
  Eigen::VectorXd x = guess.x;
  double E = guess.E;
  if (krylov && guess.dxdt.size() == K) {
    const double dt = t - f_.dot(guess.x);
    x += dt * guess.dxdt;
    E += dt * guess.g;
    if (!(x.array() > 0.0).all()) {
      x = guess.x;
      E = guess.E;
    }
  }
  bool ok = false;
  Eigen::VectorXd dx;
  double dE = 0.0, prev_step = 1.0;
  for (int k = 0; k < 60 && !ok; ++k) {
    const Eigen::VectorXd F = x.cwiseInverse() + apply(x) - E * Eigen::VectorXd::Ones(K);
    const double rtol = std::clamp(sup_norm(F) / std::abs(E) + std::abs(f_.dot(x) - t) / t, 1e-13, 1e-2);
    if (!bordered_solve(x, -F, t - f_.dot(x), rtol, dx, dE, e)) return false;
    x += dx;
    E += dE;
    if (!(x.array() > 0.0).all() || !x.allFinite()) return false;
    const double step = std::max(sup_norm(dx) / sup_norm(x), std::abs(dE) / std::abs(E));
    // dense: converged to rounding; krylov: converged at 1e-13, or at the rounding floor (the
    // step stops shrinking quadratically while already below 1e-11)
    ok = krylov ? (step <= 1e-13 || (step <= 1e-11 && step > 0.25 * prev_step))
                : (sup_norm(dx) <= 1e-15 * sup_norm(x) && std::abs(dE) <= 1e-15 * std::abs(E));
    prev_step = step;
  }
  if (!ok || !bordered_solve(x, Eigen::VectorXd::Zero(K), 1.0, 1e-13, dx, dE, e)) return false;
  out.x = x;
  out.E = E;
  out.g = dE;
  out.dxdt = dx;
  return true;
}

// Fine stage (docs/theory.md 2.5(c)): the edge is the fold of the real solution curve, where
// dE/dt = 0. From the point (hi, x_hi) above the edge, bracket the fold in t, find it by TOMS 748
// on g = dE/dt, and take E''(t*) by a central difference for the edge constant sqrt(2 / E'').
// Returns x at the edge.
Eigen::VectorXd QveSolver::edge_by_fold(double hi, const Eigen::VectorXd& x_hi, QveEdge& e) const {
  CurvePoint p_lo;
  p_lo.x = x_hi;
  p_lo.E = hi;
  const double t_lo = f_.dot(x_hi);
  if (!curve_point(t_lo, p_lo, p_lo, e) || !(p_lo.g < 0.0))
    throw NumericalFailure("QveSolver::edge: the fold stage could not start on the physical branch.");
  CurvePoint p2;  // a second point to estimate E''(t)
  const double h = 1e-3 * t_lo;
  if (!curve_point(t_lo - h, p_lo, p2, e)) throw NumericalFailure("QveSolver::edge: the fold stage failed.");
  double curv = (p_lo.g - p2.g) / h;
  if (!(curv > 0.0)) curv = std::abs(p_lo.g) / h;
  double step = 2.0 * (-p_lo.g / curv);
  CurvePoint p_hi;
  double t_hi = t_lo + step;
  for (int expansions = 0;; ++expansions) {
    const bool converged = curve_point(t_hi, p_lo, p_hi, e);
    if (converged && p_hi.g > 0.0) break;
    if (expansions >= 60) throw NumericalFailure("QveSolver::edge: could not bracket the fold point.");
    step *= (converged ? 2.0 : 0.5);
    t_hi = t_lo + step;
  }
  std::map<double, CurvePoint> cache{{t_lo, p_lo}, {t_hi, p_hi}};
  auto nearest = [&](double t) -> const CurvePoint& {
    auto it = cache.lower_bound(t);
    if (it == cache.end()) return std::prev(it)->second;
    if (it == cache.begin()) return it->second;
    auto pv = std::prev(it);
    return (t - pv->first < it->first - t) ? pv->second : it->second;
  };
  auto g = [&](double t) {
    CurvePoint p;
    if (!curve_point(t, nearest(t), p, e)) throw NumericalFailure("QveSolver::edge: Newton failed on the solution curve.");
    cache[t] = p;
    return p.g;
  };
  std::uintmax_t iters = 100;
  auto root = boost::math::tools::toms748_solve(g, t_lo, t_hi, p_lo.g, p_hi.g,
                                                boost::math::tools::eps_tolerance<double>(50), iters);
  e.root_iterations = static_cast<int>(iters);
  const double ts = 0.5 * (root.first + root.second);
  CurvePoint ps, pa, pb;
  if (!curve_point(ts, nearest(ts), ps, e)) throw NumericalFailure("QveSolver::edge: Newton failed at the fold point.");
  const double hh = 1e-5 * ts;
  if (!curve_point(ts + hh, ps, pa, e) || !curve_point(ts - hh, ps, pb, e))
    throw NumericalFailure("QveSolver::edge: Newton failed next to the fold point.");
  const double E2 = (pa.g - pb.g) / (2.0 * hh);
  e.upper = ps.E;
  e.edge_constant = std::sqrt(2.0 / E2);
  e.method = mode_ == Mode::Krylov ? "continuation+fold-newton-cg" : "bisection+fold-newton";
  return ps.x;
}

// docs/theory.md 2.5(d): fit <m>(E) = a0 + c sqrt(E - tau) + b (E - tau) on E - tau in
// [1e-4, 3e-3] tau; the edge constant is c.
double QveSolver::edge_constant_by_fit(double tau, const Eigen::VectorXd& x_hi, Counts& cnt) const {
  Eigen::MatrixXd X(4, 3);
  Eigen::VectorXd y(4);
  const double d[4] = {1e-4, 3e-4, 1e-3, 3e-3};
  for (int i = 3; i >= 0; --i) {
    const double E = tau * (1.0 + d[i]);
    Eigen::VectorXd x = x_hi;
    real_positive(E, x, cnt, options_.max_fixed_point_iterations);
    X(i, 0) = 1.0;
    X(i, 1) = std::sqrt(E - tau);
    X(i, 2) = E - tau;
    y(i) = -f_.dot(x);
  }
  return X.colPivHouseholderQr().solve(y)(1);
}

// The upper edge tau: a point above the spectrum by doubling, then the bisection stage (skipped
// in krylov mode: each test near the edge would cost ~(E - tau)^(-1/2) products with the P x P
// profile; the fold continuation starts from E = hi instead), then the fold stage (dense and
// krylov modes) or the square-root fit (mode none). Finally spr(diag|m| A diag|m|) at tau.
const QveEdge& QveSolver::edge() const {
  if (edge_) return *edge_;
  QveEdge e;
  const Eigen::VectorXd r = profile_.row_sums();
  Counts cnt;
  double hi = 2.0 * std::sqrt(r.maxCoeff()) * (1.0 + 1e-3);
  Eigen::VectorXd x_hi;
  int doublings = 0;
  while (!real_positive(hi, x_hi, cnt, options_.max_fixed_point_iterations)) {
    x_hi.resize(0);
    hi *= 2.0;
    if (++doublings > 60) throw NumericalFailure("QveSolver::edge: no point above the spectrum was found.");
  }
  if (mode_ != Mode::Krylov) hi = edge_by_bisection(hi, x_hi, cnt, e);
  e.upper = hi;
  e.method = "bisection";
  Eigen::VectorXd x_edge = x_hi;
  if (mode_ != Mode::None)
    x_edge = edge_by_fold(hi, x_hi, e);
  else
    e.edge_constant = edge_constant_by_fit(e.upper, x_hi, cnt);
  e.fixed_point_iterations += cnt.fp;
  e.newton_iterations += cnt.newton;
  e.krylov_iterations += cnt.krylov;
  e.lower = -e.upper;
  e.m_at_edge = -x_edge;
  e.stability_radius = stability_radius(profile_.variances, profile_.sizes, x_edge, e.lanczos_iterations);
  edge_ = e;
  return *edge_;
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
