#include "theory/qve.hpp"

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <boost/math/tools/roots.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>
#include <map>

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
  A_ = profile_.effective();
  f_ = profile_.sizes / profile_.dimension();
}

bool QveSolver::real_positive(double E, Eigen::VectorXd& x, int& fp_iters, int& newton_iters, int cap) const {
  const int K = profile_.blocks();
  if (x.size() != K) x = Eigen::VectorXd::Zero(K);
  bool tried_newton = false;
  for (int it = 0; it < cap; ++it) {
    Eigen::VectorXd den = E - (A_ * x).array();
    if ((den.array() <= 0.0).any()) return false;  // no real solution: E is inside the spectrum
    Eigen::VectorXd y = den.cwiseInverse();
    ++fp_iters;
    const double step = sup_norm(y - x) / sup_norm(y);
    x = y;
    if (step < options_.tol) return true;
    if (!tried_newton && step < 1e-6 && K <= options_.newton_max_dim) {
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
        ++newton_iters;
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
  }
  return false;
}

QveRealSolution QveSolver::solve_real(double E, const Eigen::VectorXd* warm) const {
  check_finite("QveSolver::solve_real", "E", E);
  QveRealSolution s;
  const double a = std::abs(E);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(profile_.blocks());
  if (warm) x = warm->cwiseAbs();
  s.converged = (a > 0.0) && real_positive(a, x, s.fixed_point_iterations, s.newton_iterations,
                                           options_.max_fixed_point_iterations);
  if (!s.converged)
    fail_check("QveSolver::solve_real", "E", format_value(E),
               "must lie outside the spectrum [-" + format_value(edge().upper) + ", " + format_value(edge().upper) +
                   "] (the real iteration did not converge)");
  s.m = (E > 0 ? -1.0 : 1.0) * x;
  s.mean = f_.dot(s.m);
  s.residual = sup_norm(s.m.cwiseInverse() + Eigen::VectorXd::Constant(x.size(), E) + A_ * s.m);
  return s;
}

QveSolution QveSolver::solve(std::complex<double> z) const {
  const char* fn = "QveSolver::solve";
  check_finite(fn, "Re z", z.real());
  check_positive(fn, "Im z", z.imag());
  const int K = profile_.blocks();
  using CV = Eigen::VectorXcd;
  QveSolution s;
  const Eigen::MatrixXcd Ac = A_.cast<std::complex<double>>();
  CV m = CV::Constant(K, std::complex<double>(0.0, 1.0));
  const double eta_target = z.imag();
  double eta = std::max(eta_target, 1.0 + std::sqrt(profile_.row_sums().maxCoeff()));
  while (true) {
    const std::complex<double> zz(z.real(), eta);
    const bool last = (eta <= eta_target);
    bool done = false;
    // damped fixed point (Helton, Rashidi Far & Speicher 2007)
    const int cap = last ? options_.max_fixed_point_iterations : 2000;
    const int before_newton = (K <= options_.newton_max_dim) ? 30 : cap;
    int local = 0;
    for (; local < cap; ++local) {
      CV T = -(zz * CV::Ones(K) + Ac * m).cwiseInverse();
      CV next = 0.5 * (m + T);
      ++s.fixed_point_iterations;
      const double step = (next - m).cwiseAbs().maxCoeff() / next.cwiseAbs().maxCoeff();
      m = next;
      if (step < options_.tol) {
        done = true;
        break;
      }
      if (local + 1 >= before_newton && (local + 1 - before_newton) % 200 == 0 && K <= options_.newton_max_dim) {
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
  s.residual = (m.cwiseInverse() + z * CV::Ones(K) + Ac * m).cwiseAbs().maxCoeff();
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
// spr(diag(x) A diag(x)) for A = s diag(n): similar to the symmetric
// diag(x sqrt n) s diag(x sqrt n); power iteration on that non-negative matrix.
double stability_radius(const Eigen::MatrixXd& s, const Eigen::VectorXd& n, const Eigen::VectorXd& x) {
  const Eigen::VectorXd d = x.cwiseProduct(n.cwiseSqrt());
  const Eigen::MatrixXd M = d.asDiagonal() * s * d.asDiagonal();
  if (M.rows() <= 400) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(M, Eigen::EigenvaluesOnly);
    return es.eigenvalues().cwiseAbs().maxCoeff();
  }
  Eigen::VectorXd v = Eigen::VectorXd::Ones(M.rows()).normalized();
  double lam = 0.0;
  for (int it = 0; it < 20000; ++it) {
    Eigen::VectorXd w = M * v;
    const double nl = v.dot(w);
    const double nw = w.norm();
    if (nw == 0.0) return 0.0;
    w /= nw;
    const bool conv = std::abs(nl - lam) <= 1e-15 * std::abs(nl) && it > 5;
    lam = nl;
    v = w;
    if (conv) break;
  }
  return lam;
}
}  // namespace

const QveEdge& QveSolver::edge() const {
  if (edge_) return *edge_;
  QveEdge e;
  const int K = profile_.blocks();
  const Eigen::VectorXd r = profile_.row_sums();
  double hi = 2.0 * std::sqrt(r.maxCoeff()) * (1.0 + 1e-3);
  Eigen::VectorXd x_hi;
  int doublings = 0;
  while (!real_positive(hi, x_hi, e.fixed_point_iterations, e.newton_iterations, options_.max_fixed_point_iterations)) {
    x_hi.resize(0);
    hi *= 2.0;
    if (++doublings > 60) throw NumericalFailure("QveSolver::edge: no point above the spectrum was found.");
  }
  // --- coarse stage: bisection on the derivative-free test of §2.5(c) (Boost bisect).
  const bool fold = K <= options_.newton_max_dim;
  const double rel_width = fold ? 1e-4 : 1e-9;
  const int cap = fold ? 20000 : options_.max_fixed_point_iterations;
  double lo = 0.0;
  auto test = [&](double E) {
    Eigen::VectorXd x = x_hi;  // warm start: solution at the lowest certified point above
    if (real_positive(E, x, e.fixed_point_iterations, e.newton_iterations, cap)) {
      x_hi = x;
      return 1.0;
    }
    return -1.0;
  };
  auto stop = [&](double a, double b) { return (b - a) <= rel_width * b; };
  // Boost bisect keeps the bracket [lo, hi] with test(lo) < 0 < test(hi); every midpoint it
  // certifies lies below the previous certified point, so x_hi always belongs to the bracket's
  // upper end (and is a valid warm start for the next midpoint).
  std::uintmax_t bis_iter = 200;
  const auto bracket = boost::math::tools::bisect(test, lo, hi, stop, bis_iter);
  lo = bracket.first;
  hi = bracket.second;
  e.bisection_iterations = static_cast<int>(bis_iter);
  e.bracket_width = hi - lo;
  e.upper = hi;
  Eigen::VectorXd x_edge = x_hi;
  e.method = "bisection";
  if (fold) {
    // --- fine stage: the fold of the real solution curve, parameterised by t = f.x = -<m>.
    struct Point {
      Eigen::VectorXd x;
      double E = 0.0, g = 0.0;
    };
    const Eigen::VectorXd ones = Eigen::VectorXd::Ones(K);
    auto on_curve = [&](double t, const Point& guess, Point& out) {
      Eigen::VectorXd x = guess.x;
      double E = guess.E;
      Eigen::MatrixXd Jb(K + 1, K + 1);
      bool ok = false;
      for (int k = 0; k < 60; ++k) {
        Eigen::VectorXd F(K + 1);
        F.head(K) = x.cwiseInverse() + A_ * x - E * ones;
        F(K) = f_.dot(x) - t;
        Jb.topLeftCorner(K, K) = A_;
        Jb.topLeftCorner(K, K).diagonal() -= x.cwiseProduct(x).cwiseInverse();
        Jb.topRightCorner(K, 1) = -ones;
        Jb.bottomLeftCorner(1, K) = f_.transpose();
        Jb(K, K) = 0.0;
        Eigen::PartialPivLU<Eigen::MatrixXd> lu(Jb);
        Eigen::VectorXd d = lu.solve(-F);
        ++e.newton_iterations;
        x += d.head(K);
        E += d(K);
        if (!(x.array() > 0.0).all() || !x.allFinite()) return false;
        if (sup_norm(d.head(K)) <= 1e-15 * sup_norm(x) && std::abs(d(K)) <= 1e-15 * std::abs(E)) {
          ok = true;
          break;
        }
      }
      if (!ok) return false;
      // dE/dt from [J -1; f^T 0][dx; dE] = [0; 1] at the converged point
      Jb.topLeftCorner(K, K) = A_;
      Jb.topLeftCorner(K, K).diagonal() -= x.cwiseProduct(x).cwiseInverse();
      Eigen::VectorXd rhs = Eigen::VectorXd::Zero(K + 1);
      rhs(K) = 1.0;
      const Eigen::VectorXd d = Jb.partialPivLu().solve(rhs);
      out.x = x;
      out.E = E;
      out.g = d(K);
      return true;
    };
    Point p_lo;
    p_lo.x = x_hi;
    p_lo.E = hi;
    const double t_lo = f_.dot(x_hi);
    if (!on_curve(t_lo, p_lo, p_lo) || !(p_lo.g < 0.0))
      throw NumericalFailure("QveSolver::edge: the fold stage could not start on the physical branch.");
    // second point to estimate E''(t)
    Point p2;
    const double h = 1e-3 * t_lo;
    if (!on_curve(t_lo - h, p_lo, p2)) throw NumericalFailure("QveSolver::edge: the fold stage failed.");
    double curv = (p_lo.g - p2.g) / h;
    if (!(curv > 0.0)) curv = std::abs(p_lo.g) / h;
    double step = 2.0 * (-p_lo.g / curv);
    Point p_hi;
    double t_hi = t_lo + step;
    int expansions = 0;
    while (true) {
      if (on_curve(t_hi, p_lo, p_hi) && p_hi.g > 0.0) break;
      step *= (on_curve(t_hi, p_lo, p_hi) ? 2.0 : 0.5);
      t_hi = t_lo + step;
      if (++expansions > 60) throw NumericalFailure("QveSolver::edge: could not bracket the fold point.");
    }
    std::map<double, Point> cache;
    cache[t_lo] = p_lo;
    cache[t_hi] = p_hi;
    auto nearest = [&](double t) -> const Point& {
      auto it = cache.lower_bound(t);
      if (it == cache.end()) return std::prev(it)->second;
      if (it == cache.begin()) return it->second;
      auto pv = std::prev(it);
      return (t - pv->first < it->first - t) ? pv->second : it->second;
    };
    auto g = [&](double t) {
      Point p;
      if (!on_curve(t, nearest(t), p)) throw NumericalFailure("QveSolver::edge: Newton failed on the solution curve.");
      cache[t] = p;
      return p.g;
    };
    std::uintmax_t iters = 100;
    auto root = boost::math::tools::toms748_solve(g, t_lo, t_hi, p_lo.g, p_hi.g,
                                                  boost::math::tools::eps_tolerance<double>(50), iters);
    e.root_iterations = static_cast<int>(iters);
    const double ts = 0.5 * (root.first + root.second);
    Point ps;
    if (!on_curve(ts, nearest(ts), ps)) throw NumericalFailure("QveSolver::edge: Newton failed at the fold point.");
    // E''(t*) by a central difference of g
    const double hh = 1e-5 * ts;
    Point pa, pb;
    if (!on_curve(ts + hh, ps, pa) || !on_curve(ts - hh, ps, pb))
      throw NumericalFailure("QveSolver::edge: Newton failed next to the fold point.");
    const double E2 = (pa.g - pb.g) / (2.0 * hh);
    e.upper = ps.E;
    e.edge_constant = std::sqrt(2.0 / E2);
    x_edge = ps.x;
    e.method = "bisection+fold-newton";
  } else {
    // §2.5(d): fit <m>(E) = a0 + c sqrt(E - tau) + b (E - tau) on E - tau in [1e-4, 3e-3] tau.
    const double tau = e.upper;
    Eigen::MatrixXd X(4, 3);
    Eigen::VectorXd y(4);
    const double d[4] = {1e-4, 3e-4, 1e-3, 3e-3};
    Eigen::VectorXd xw = x_hi;
    for (int i = 3; i >= 0; --i) {
      const double E = tau * (1.0 + d[i]);
      Eigen::VectorXd x = xw;
      real_positive(E, x, e.fixed_point_iterations, e.newton_iterations, options_.max_fixed_point_iterations);
      X(i, 0) = 1.0;
      X(i, 1) = std::sqrt(E - tau);
      X(i, 2) = E - tau;
      y(i) = -f_.dot(x);
    }
    const Eigen::VectorXd coef = X.colPivHouseholderQr().solve(y);
    e.edge_constant = coef(1);
  }
  e.lower = -e.upper;
  e.m_at_edge = -x_edge;
  e.stability_radius = stability_radius(profile_.variances, profile_.sizes, x_edge);
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
    if (!real_positive(E, x, o.fixed_point_iterations, o.newton_iterations, options_.max_fixed_point_iterations))
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

}  // namespace batchrmt::theory
