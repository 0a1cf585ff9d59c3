// The upper edge of a QVE variance profile (QveSolver::edge and its stages, docs/theory.md
// 2.5(c)-(d)) and the stability check at the edge.
#include <algorithm>
#include <boost/math/tools/roots.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>
#include <map>

#include "core/errors.hpp"
#include "theory/qve.hpp"
#include "theory/qve_krylov.hpp"

namespace batchrmt::theory {

using qve_detail::conjugate_gradients;
using qve_detail::sup_norm;

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

}  // namespace batchrmt::theory
