// Built-in checks of the curvature operators (docs/curvature.md; docs/theory.md 5.2, 7.2 V7). No
// LibTorch here: everything goes through CurvatureOperator.
#include <cmath>
#include <limits>
#include <sstream>

#include "core/rng.hpp"
#include "networks/curvature.hpp"
#include "spectral/lanczos.hpp"

namespace batchrmt::networks {

bool SelfCheckReport::passed() const {
  for (const auto& i : items)
    if (!i.passed) return false;
  return true;
}

namespace {

Eigen::VectorXd random_unit(Eigen::Index n, std::uint64_t seed, std::uint64_t stream) {
  RandomStream rng(seed, stream);
  Eigen::VectorXd v(n);
  rng.fill_normal(v.data(), static_cast<std::size_t>(n));
  return v / v.norm();
}

CheckItem item(std::string name, double value, double tol, std::string detail) {
  CheckItem c;
  c.name = std::move(name);
  c.value = value;
  c.tolerance = tol;
  c.passed = std::isfinite(value) && value <= tol;
  c.detail = std::move(detail);
  return c;
}

std::string sci(double x) {
  std::ostringstream os;
  os.precision(3);
  os << std::scientific << x;
  return os.str();
}

}  // namespace

SelfCheckReport curvature_self_check(const CurvatureOperator& op, std::uint64_t seed) {
  SelfCheckReport rep;
  const auto n = op.rows();
  const bool fp64 = op.options().dtype == ComputeDtype::float64;
  const bool train_bn = op.options().batchnorm == BatchNormPolicy::train;
  const double scale = fp64 ? 1.0 : 1e5;  // float32: tolerances of docs/theory.md 7.4 (1e-5 relative)
  const CurvatureOperator H = op.with_kind(CurvatureKind::hessian);
  const CurvatureOperator G = op.with_kind(CurvatureKind::ggn);

  // 1. Central finite differences of the gradient along a random unit vector (docs/theory.md 5.2):
  //    eps0 = eps_mach^(1/3) max(1, ||w||) / ||v||; truncation O(eps^2), rounding O(eps_mach/eps).
  //    A ReLU (or max-pool) kink crossed within +-eps v makes the difference wrong by O(1/eps)
  //    (seen on preresnet-8 at eps = 1e-3: relative error 90), so eps0, eps0/10 and eps0/100
  //    are tried and the best agreement is reported with its step.
  {
    const Eigen::VectorXd v = random_unit(n, seed, 0x5e1f0001);
    const auto w = op.weights();
    double wn = 0;
    for (double x : w) wn += x * x;
    const double eps0 = std::cbrt(fp64 ? std::numeric_limits<double>::epsilon() : 1.2e-7) * std::max(1.0, std::sqrt(wn));
    const Eigen::VectorXd hv = H.apply(v);
    double best = std::numeric_limits<double>::infinity(), best_eps = eps0;
    for (double eps : {eps0, eps0 / 10, eps0 / 100}) {
      const Eigen::VectorXd fd = (H.gradient_at(eps * v) - H.gradient_at(-eps * v)) / (2 * eps);
      const double rel = (fd - hv).norm() / std::max(hv.norm(), 1e-300);
      if (rel < best) {
        best = rel;
        best_eps = eps;
      }
      if (rel <= 1e-7) break;
    }
    rep.items.push_back(item("hvp_vs_finite_difference", best, fp64 ? 1e-5 : 3e-2,
                             "||FD - Hv|| / ||Hv||, best of eps = " + sci(eps0) + ", /10, /100 (at " + sci(best_eps) +
                                 "), ||Hv|| = " + sci(hv.norm())));
  }
  // 2. Symmetry u^T H v = v^T H u (and the same for the GGN).
  for (const auto* which : {&H, &G}) {
    const Eigen::VectorXd u = random_unit(n, seed, 0x5e1f0002), v = random_unit(n, seed, 0x5e1f0003);
    const Eigen::VectorXd hu = which->apply(u), hv = which->apply(v);
    const double a = u.dot(hv), b = v.dot(hu);
    const double rel = std::abs(a - b) / std::max(hu.norm() + hv.norm(), 1e-300);
    rep.items.push_back(item(which == &H ? "hessian_symmetry" : "ggn_symmetry", rel, 1e-12 * scale * 100,
                             "|u^T H v - v^T H u| / (||Hu|| + ||Hv||), u^T H v = " + sci(a)));
  }
  // 3. GGN = Hessian for the linear model (linear in its parameters: the second term of the
  //    Gauss-Newton decomposition vanishes identically, docs/theory.md 1.1).
  if (op.model_spec().name == "linear") {
    const Eigen::VectorXd v = random_unit(n, seed, 0x5e1f0004);
    const Eigen::VectorXd hv = H.apply(v), gv = G.apply(v);
    const double rel = (hv - gv).norm() / std::max(hv.norm(), 1e-300);
    rep.items.push_back(item("ggn_equals_hessian_linear", rel, 1e-12 * scale * 100, "||Gv - Hv|| / ||Hv||"));
  }
  // 4. GGN positive semidefinite: Rayleigh quotients and the smallest Ritz value of 30 steps.
  {
    double worst = std::numeric_limits<double>::infinity(), top = 0;
    for (int k = 0; k < 8; ++k) {
      const Eigen::VectorXd v = random_unit(n, seed, 0x5e1f0100 + static_cast<std::uint64_t>(k));
      const Eigen::VectorXd gv = G.apply(v);
      worst = std::min(worst, v.dot(gv));
      top = std::max(top, gv.norm());
    }
    spectral::LanczosOptions lo;
    lo.steps = std::min<std::size_t>(30, static_cast<std::size_t>(n));
    lo.seed = seed;
    lo.stream = 0x5e1f0200;
    const auto r = spectral::lanczos(G, lo);
    const double bottom = r.ritz_values.front(), ritz_top = r.ritz_values.back();
    const double val = std::max(0.0, -std::min(worst, bottom)) / std::max(std::abs(ritz_top), 1e-300);
    rep.items.push_back(item("ggn_positive_semidefinite", val, 1e-10 * scale,
                             "min(Rayleigh quotients, smallest Ritz value) = " + sci(std::min(worst, bottom)) +
                                 ", relative to the top Ritz value " + sci(ritz_top)));
  }
  // 5. Chunked accumulation = one pass (exact rule of docs/theory.md 5.4; with train-mode BN the
  //    chunking changes the operator, so the check does not apply).
  if (!train_bn && op.samples() >= 2) {
    const auto few = static_cast<std::int64_t>(std::max<std::size_t>(1, (op.samples() + 2) / 3));
    const CurvatureOperator one = H.with_chunk_size(static_cast<std::int64_t>(op.samples()));
    const CurvatureOperator many = H.with_chunk_size(few);
    const Eigen::VectorXd v = random_unit(n, seed, 0x5e1f0005);
    const Eigen::VectorXd a = one.apply(v), b = many.apply(v);
    const double rel = (a - b).norm() / std::max(a.norm(), 1e-300);
    rep.items.push_back(item("chunked_equals_single_pass", rel, 1e-12 * scale * 10,
                             "chunks of " + std::to_string(few) + " vs one chunk of " + std::to_string(op.samples())));
  }
  // 6. Mean of per-sample products = the batch product (eval-mode BN: the loss is separable).
  if (!train_bn) {
    const std::size_t m = std::min<std::size_t>(op.samples(), 32);
    std::vector<std::size_t> idx(op.indices().begin(), op.indices().begin() + static_cast<std::ptrdiff_t>(m));
    const CurvatureOperator sub = H.with_indices(idx);
    const Eigen::VectorXd v = random_unit(n, seed, 0x5e1f0006);
    const Eigen::VectorXd batch = sub.apply(v);
    Eigen::VectorXd mean = Eigen::VectorXd::Zero(n);
    sub.per_sample_products(idx, {v}, [&](std::size_t, std::size_t, const Eigen::VectorXd& hv) { mean += hv; });
    mean /= static_cast<double>(m);
    const double rel = (mean - batch).norm() / std::max(batch.norm(), 1e-300);
    rep.items.push_back(item("per_sample_mean_equals_batch", rel, 1e-12 * scale * 10,
                             "mean of " + std::to_string(m) + " per-sample HVPs vs their batch HVP"));
  }
  return rep;
}

}  // namespace batchrmt::networks
