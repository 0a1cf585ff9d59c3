// Per-sample noise along a direction (docs/theory.md 5.7): V_phi, W_phi, V_perp and the spike
// couplings c_k from per-sample Hessian (or GGN) vector products. No LibTorch here: the
// products come from CurvatureOperator::per_sample_products (networks/curvature.cpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "core/mpi_context.hpp"
#include "core/statistics.hpp"
#include "networks/curvature.hpp"
#include "networks/data_parallel.hpp"

namespace batchrmt::networks {

void sample_mean_se(const std::vector<double>& x, std::size_t N, double& mean, double& se) {
  const SampleSummary s = summarize(x, N);
  mean = s.mean;
  se = s.stderr_;
}

std::vector<NoiseEstimate> estimate_noise_multi(const CurvatureOperator& full, const std::vector<Eigen::VectorXd>& phis,
                                                const std::vector<Eigen::VectorXd>& others,
                                                const std::vector<std::size_t>& samples, bool over_ranks) {
  const auto t0 = std::chrono::steady_clock::now();
  if (phis.empty()) throw InvalidInput("estimate_noise: no direction phi was given.");
  if (samples.empty()) throw InvalidInput("estimate_noise: the noise sample is empty, but must hold samples.");
  const std::size_t D = phis.size();
  const std::size_t M = samples.size();
  const std::size_t N = full.samples();
  std::vector<NoiseEstimate> est(D);
  std::vector<Eigen::VectorXd> hphi(D);
  for (std::size_t d = 0; d < D; ++d) {
    check_size_match("estimate_noise", "phi", static_cast<std::size_t>(phis[d].size()), "the operator",
                     static_cast<std::size_t>(full.rows()));
    const double nrm = phis[d].norm();
    if (!(std::abs(nrm - 1.0) < 1e-6)) throw InvalidInput("estimate_noise: phi has norm " + std::to_string(nrm) + ", but must be a unit vector.");
    // H_emp phi: one full-data pass (spread over the ranks when over_ranks).
    hphi[d] = over_ranks ? DataParallelOperator(full).apply(phis[d]) : full.apply(phis[d]);
    est[d].lambda = phis[d].dot(hphi[d]);
    est[d].h_phi_residual = (hphi[d] - est[d].lambda * phis[d]).norm();
    est[d].samples = M;
    est[d].population = N;
    est[d].indices = samples;
    est[d].norm2.assign(M, 0.0);
    est[d].proj2.assign(M, 0.0);
  }
  std::vector<std::vector<double>> ck(others.size(), std::vector<double>(M, 0.0));
  // Rank r takes the samples [rM/R, (r+1)M/R) and sends its per-sample values to rank 0.
  const auto& mpi = MpiContext::instance();
  const bool spread = over_ranks && mpi.active();
  const std::size_t R = spread ? static_cast<std::size_t>(mpi.size()) : 1, me = spread ? static_cast<std::size_t>(mpi.rank()) : 0;
  auto block = [&](std::size_t r) { return std::make_pair(M * r / R, M * (r + 1) / R); };
  const std::size_t first = block(me).first, last = block(me).second;
  const std::vector<std::size_t> mine(samples.begin() + static_cast<std::ptrdiff_t>(first), samples.begin() + static_cast<std::ptrdiff_t>(last));
  if (!mine.empty())
    full.per_sample_products(mine, phis, [&](std::size_t kk, std::size_t d, const Eigen::VectorXd& hv) {
      const std::size_t k = first + kk;
      const Eigen::VectorXd u = hv - hphi[d];
      est[d].norm2[k] = u.squaredNorm();
      const double p = phis[d].dot(u);
      est[d].proj2[k] = p * p;
      if (d == 0)
        for (std::size_t o = 0; o < others.size(); ++o) {
          const double q = others[o].dot(u);
          ck[o][k] = q * q;
        }
    });
  if (spread) {
    auto columns = [&]() {
      std::vector<std::vector<double>*> c;
      for (auto& e : est) c.insert(c.end(), {&e.norm2, &e.proj2});
      for (auto& v : ck) c.push_back(&v);
      return c;
    }();
    if (!mpi.is_writer()) {
      std::vector<double> flat;
      for (auto* c : columns) flat.insert(flat.end(), c->begin() + static_cast<std::ptrdiff_t>(first), c->begin() + static_cast<std::ptrdiff_t>(last));
      mpi.send(flat, 0, 7001);
      for (auto& e : est) e.v_phi = e.w_phi = e.v_perp = std::numeric_limits<double>::quiet_NaN();
      return est;  // the estimates live on rank 0
    }
    for (std::size_t r = 1; r < R; ++r) {
      const auto [b, e] = block(r);
      const std::vector<double> flat = mpi.receive(static_cast<int>(r), 7001);
      if (flat.size() != columns.size() * (e - b))
        throw IoError("rank " + std::to_string(r) + " sent " + std::to_string(flat.size()) + " per-sample values, not " +
                      std::to_string(columns.size() * (e - b)) + ".");
      for (std::size_t c = 0; c < columns.size(); ++c)
        std::copy(flat.begin() + static_cast<std::ptrdiff_t>(c * (e - b)), flat.begin() + static_cast<std::ptrdiff_t>((c + 1) * (e - b)),
                  columns[c]->begin() + static_cast<std::ptrdiff_t>(b));
    }
  }
  for (std::size_t d = 0; d < D; ++d) {
    auto& e = est[d];
    sample_mean_se(e.norm2, N, e.v_phi, e.v_phi_se);
    sample_mean_se(e.proj2, N, e.w_phi, e.w_phi_se);
    std::vector<double> perp(M);
    for (std::size_t k = 0; k < M; ++k) perp[k] = e.norm2[k] - e.proj2[k];
    sample_mean_se(perp, N, e.v_perp, e.v_perp_se);
    if (d == 0)
      for (const auto& c : ck) {
        double m = 0, se = 0;
        sample_mean_se(c, N, m, se);
        e.c.push_back(m);
        e.c_se.push_back(se);
      }
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return est;
}

NoiseEstimate estimate_noise(const CurvatureOperator& full, const Eigen::VectorXd& phi,
                             const std::vector<Eigen::VectorXd>& others, const std::vector<std::size_t>& samples) {
  return estimate_noise_multi(full, {phi}, others, samples, false).front();
}

}  // namespace batchrmt::networks
