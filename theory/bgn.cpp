#include "theory/bgn.hpp"

#include <algorithm>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "theory/marchenko_pastur.hpp"
#include "theory/qve.hpp"
#include "theory/semicircle.hpp"

namespace batchrmt::theory {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

// The root of f in the bracket [lo, hi] (an end where f vanishes, else TOMS 748 to 52 bits, its
// iterations into `iterations`).
template <class F>
double bracketed_root(const F& f, double lo, double hi, int& iterations) {
  const double flo = f(lo), fhi = f(hi);
  if (flo == 0.0) return lo;
  if (fhi == 0.0) return hi;
  std::uintmax_t iters = 200;
  const auto r = boost::math::tools::toms748_solve(f, lo, hi, flo, fhi, boost::math::tools::eps_tolerance<double>(52), iters);
  iterations = static_cast<int>(iters);
  return 0.5 * (r.first + r.second);
}

class SemicircleLaw final : public BulkLaw {
 public:
  explicit SemicircleLaw(double sigma) : sc_(sigma) {}
  double lower_edge() const override { return sc_.lower_edge(); }
  double upper_edge() const override { return sc_.upper_edge(); }
  double cauchy(double x) const override { return -sc_.stieltjes_real(x); }
  double cauchy_derivative(double x) const override {
    if (std::abs(x) == sc_.upper_edge()) return (x > 0 ? -kInf : kInf) * 1.0;  // square-root edge
    return -sc_.stieltjes_real_derivative(x);
  }
  std::string name() const override { return "semicircle"; }

 private:
  Semicircle sc_;
};

class MarchenkoPasturLaw final : public BulkLaw {
 public:
  MarchenkoPasturLaw(double gamma, double sigma2) : mp_(gamma, sigma2) {}
  double lower_edge() const override { return mp_.atom_at_zero() > 0 ? 0.0 : mp_.lower_edge(); }
  double upper_edge() const override { return mp_.upper_edge(); }
  double cauchy(double x) const override { return -mp_.stieltjes_real(x); }
  double cauchy_derivative(double x) const override { return -mp_.stieltjes_real_derivative(x); }
  std::string name() const override { return "marchenko-pastur"; }

 private:
  MarchenkoPastur mp_;
};

class EmpiricalLaw final : public BulkLaw {
 public:
  explicit EmpiricalLaw(std::vector<double> t) : t_(std::move(t)) {
    if (t_.empty())
      ::batchrmt::detail::fail_check("empirical_law", "eigenvalues", "empty", "must contain at least one value");
    for (double v : t_) check_finite("empirical_law", "eigenvalue", v);
    std::sort(t_.begin(), t_.end());
  }
  double lower_edge() const override { return t_.front(); }
  double upper_edge() const override { return t_.back(); }
  double cauchy(double x) const override {
    double s = 0.0;
    for (double v : t_) {
      if (x == v) return x >= t_.back() ? kInf : -kInf;
      s += 1.0 / (x - v);
    }
    return s / t_.size();
  }
  double cauchy_derivative(double x) const override {
    double s = 0.0;
    for (double v : t_) s -= 1.0 / ((x - v) * (x - v));
    return s / t_.size();
  }
  std::string name() const override { return "empirical"; }

 private:
  std::vector<double> t_;
};
class QveLaw final : public BulkLaw {
 public:
  explicit QveLaw(const QveSolver& s) : s_(s) {}
  double lower_edge() const override { return s_.edge().lower; }
  double upper_edge() const override { return s_.edge().upper; }
  double cauchy(double x) const override {
    const auto& e = s_.edge();
    const Eigen::VectorXd f = s_.profile().sizes / s_.profile().dimension();
    if (x == e.upper) return -f.dot(e.m_at_edge);
    if (x == e.lower) return f.dot(e.m_at_edge);
    return -s_.solve_real(x).mean;
  }
  double cauchy_derivative(double x) const override {
    // differentiate -1/m = x + A m: (diag(m^-2) - A) m' = 1; G' = -<m'>
    const auto sol = s_.solve_real(x);
    Eigen::MatrixXd M = -s_.profile().effective();
    M.diagonal() += sol.m.cwiseProduct(sol.m).cwiseInverse();
    const Eigen::VectorXd mp = M.partialPivLu().solve(Eigen::VectorXd::Ones(sol.m.size()));
    const Eigen::VectorXd f = s_.profile().sizes / s_.profile().dimension();
    return -f.dot(mp);
  }
  std::string name() const override { return "qve"; }

 private:
  const QveSolver& s_;
};
}  // namespace

std::unique_ptr<BulkLaw> qve_law(const QveSolver& solver) { return std::make_unique<QveLaw>(solver); }

std::unique_ptr<BulkLaw> semicircle_law(double sigma) { return std::make_unique<SemicircleLaw>(sigma); }
std::unique_ptr<BulkLaw> marchenko_pastur_law(double gamma, double sigma2) {
  return std::make_unique<MarchenkoPasturLaw>(gamma, sigma2);
}
std::unique_ptr<BulkLaw> empirical_law(std::vector<double> eigenvalues) {
  return std::make_unique<EmpiricalLaw>(std::move(eigenvalues));
}

BgnOutlier bgn_additive(const BulkLaw& law, double theta, int beta) {
  const char* fn = "bgn_additive";
  check_finite(fn, "theta", theta);
  check_one_of(fn, "beta", beta, {1, 2});
  BgnOutlier o;
  o.theta = theta;
  const bool up = theta >= 0.0;
  const double edge = up ? law.upper_edge() : law.lower_edge();
  o.extreme = edge;
  const double g_edge = law.cauchy(edge);  // G(b+) > 0 or G(a-) < 0
  o.threshold = std::isinf(g_edge) ? 0.0 : 1.0 / g_edge;
  if (theta == 0.0) return o;
  // supercritical iff 1/theta lies strictly inside the range of G beyond the edge
  const double target = 1.0 / theta;
  const bool super = up ? (target < g_edge) : (target > g_edge);
  if (!super) {
    o.regime = (target == g_edge) ? SpikeRegime::Critical : SpikeRegime::Subcritical;
    return o;
  }
  o.regime = SpikeRegime::Supercritical;
  // |G(x)| <= 1/|x - edge| beyond the edge: the root lies within |theta| of the edge.
  double lo = up ? edge : edge - std::abs(theta);
  double hi = up ? edge + std::abs(theta) : edge;
  auto f = [&](double x) {
    if (x == edge) return g_edge - target;
    return law.cauchy(x) - target;
  };
  if (std::isinf(g_edge)) {
    // G blows up at the edge (atoms, e.g. an empirical law): move the edge end of the bracket
    // just off the edge, where G is finite and still beyond 1/theta.
    double off = std::abs(theta);
    for (int k = 0; k < 2000; ++k) {
      off *= 0.5;
      const double x = up ? edge + off : edge - off;
      const double v = f(x);
      if (std::isfinite(v) && (up ? v > 0.0 : v < 0.0)) {
        (up ? lo : hi) = x;
        break;
      }
    }
  }
  const double rho = bracketed_root(f, lo, hi, o.root_iterations);
  o.outlier = rho;
  o.extreme = rho;
  const double gp = law.cauchy_derivative(rho);
  o.overlap = -1.0 / (theta * theta * gp);
  o.variance_coefficient = (2.0 / beta) * (1.0 - o.overlap) / (-gp);
  return o;
}

BgnOutlier bgn_multiplicative(const BulkLaw& law, double theta) {
  const char* fn = "bgn_multiplicative";
  check_finite(fn, "theta", theta);
  check_at_least(fn, "theta", theta, -1.0);
  if (law.lower_edge() < 0.0)
    ::batchrmt::detail::fail_check(fn, "lower edge of the law", ::batchrmt::detail::format_value(law.lower_edge()),
                                   "must be non-negative for a multiplicative spike");
  BgnOutlier o;
  o.theta = theta;
  const double b = law.upper_edge();
  o.extreme = b;
  auto T = [&](double x) { return x * law.cauchy(x) - 1.0; };
  const double t_edge = T(b);
  o.threshold = std::isinf(t_edge) ? 0.0 : 1.0 / t_edge;
  if (theta <= 0.0) return o;
  const double target = 1.0 / theta;
  if (!(target < t_edge)) {
    o.regime = (target == t_edge) ? SpikeRegime::Critical : SpikeRegime::Subcritical;
    return o;
  }
  o.regime = SpikeRegime::Supercritical;
  // T(x) = ∫ t/(x - t) dmu <= b/(x - b): the root lies in [b, b (1 + theta)].
  const double lo = b, hi = b * (1.0 + theta);
  auto f = [&](double x) { return (x == b ? t_edge : T(x)) - target; };
  const double rho = bracketed_root(f, lo, hi, o.root_iterations);
  o.outlier = rho;
  o.extreme = rho;
  // T'(x) = G(x) + x G'(x)
  const double tp = law.cauchy(rho) + rho * law.cauchy_derivative(rho);
  o.overlap = -(theta + 1.0) / (theta * theta * rho * tp);
  return o;
}

}  // namespace batchrmt::theory
