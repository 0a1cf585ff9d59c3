// The Lanczos recurrence, written once for every place a Krylov basis can live (docs/theory.md
// 5.5). Spectra's split: this is the factorisation (Spectra's LinAlg/Lanczos.h); the drivers
// (spectral::Lanczos, basis in host memory, and networks::curvature_lanczos, basis on the
// operator's device) set it up, supply a KrylovSpace and turn T_m into Ritz pairs.
//
//   for j = 1..m:
//     w = A q_j
//     fused (full reorthogonalisation, fp64 basis; the Arnoldi form):
//         `passes` CGS passes  h = Q_j^T w, w -= Q_j h;  alpha_j = sum of the passes' h_j
//         (the three-term subtraction is part of the first projection, Golub & Van Loan 10.3.1)
//     otherwise:
//         alpha_j = q_j^T w;  w -= alpha_j q_j + beta_{j-1} q_{j-1};  then the space's
//         reorthogonalisation (full: `passes` CGS passes; selective: Parlett & Scott; none)
//     beta_j = ||w||;  beta_j <= breakdown_tol ||T_j||: breakdown (restart with a fresh vector
//         orthogonal to the basis when asked for and possible, else stop)
//     residual stopping test on T_j (lanczos_converged_now);  q_{j+1} = w / beta_j
//
// A KrylovSpace (the basis, q_j, q_{j-1} and w wherever they live) provides:
//   bool fused() const;                          the Arnoldi form above applies
//   void apply(Eigen::Index j);                  w = A q_j
//   void wait();                                 finish queued work (a device); before a clock is read
//   double project(Eigen::Index cols, int passes);  `passes` CGS passes against columns [0, cols); returns
//                                                the sum of the passes' h[cols - 1]
//   double dot_qw();                             q_j^T w
//   void subtract_three_term(double a, double b);  w -= a q_j + b q_{j-1}
//   void reorthogonalize(Eigen::Index cols, LanczosResult& r, double tnorm);   the non-fused reorthogonalisation
//   double norm_w();                             ||w||
//   double fresh_direction(RandomStream& rng, Eigen::Index cols);  w = Gaussian orthogonalised twice against
//                                                the basis; returns ||w||
//   void advance(Eigen::Index next, double scale);  q_{next} = w / scale (stored as column `next`)
// Cost per step: one application plus the space's vector work (see spectral/lanczos.hpp).
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <string>

#include "core/errors.hpp"
#include "core/rng.hpp"
#include "spectral/detail_util.hpp"
#include "spectral/lanczos.hpp"

namespace batchrmt::spectral {

// Runs at most m steps from q_1 (already in `space`), filling alpha, beta, steps, status,
// applications, restarts and the timings of `r`. `rng` continues the start vector's stream (for
// restarts); `fn` names the caller in errors.
template <class KrylovSpace>
void lanczos_recurrence(KrylovSpace& space, const LanczosOptions& o, Eigen::Index m, RandomStream& rng,
                        LanczosResult& r, const char* fn) {
  using detail::Clock;
  using detail::seconds_since;
  const bool fused = space.fused();
  const bool can_restart = o.restart_on_breakdown && o.reorth == Reorthogonalization::Full &&
                           o.storage != BasisStorage::None;
  const auto rows = static_cast<Eigen::Index>(r.dimension);
  double tnorm = 0.0;
  const auto t_loop = Clock::now();
  for (Eigen::Index j = 0; j < m; ++j) {
    auto t0 = Clock::now();
    space.apply(j);
    space.wait();
    r.operator_seconds += seconds_since(t0);
    ++r.applications;

    double a = 0.0;
    if (fused) {
      t0 = Clock::now();
      a = space.project(j + 1, o.passes);
      space.wait();
      r.reorth_seconds += seconds_since(t0);
    } else {
      a = space.dot_qw();
      space.subtract_three_term(a, j > 0 ? r.beta[static_cast<std::size_t>(j - 1)] : 0.0);
    }
    if (!std::isfinite(a))
      throw NumericalFailure(std::string(fn) + ": the operator returned a non-finite vector at step " +
                             std::to_string(j + 1) + ".");
    r.alpha.push_back(a);
    tnorm = std::max(tnorm, std::fabs(a));
    if (!fused) {
      t0 = Clock::now();
      space.reorthogonalize(j + 1, r, tnorm);
      space.wait();
      r.reorth_seconds += seconds_since(t0);
    }

    const double b = space.norm_w();
    r.beta.push_back(b);
    tnorm = std::max(tnorm, b);
    r.steps = static_cast<std::size_t>(j + 1);
    if (!(b > o.breakdown_tol * tnorm)) {
      // Invariant subspace: continue in its orthogonal complement (T_{j+1, j} = 0) or stop.
      bool restarted = false;
      if (can_restart && j + 1 < m) {
        const double wn = space.fresh_direction(rng, j + 1);
        if (lanczos_restart_usable(wn, rows)) {
          r.beta.back() = 0.0;
          ++r.restarts;
          space.advance(j + 1, wn);
          restarted = true;
        }
      }
      if (!restarted) {
        r.status = LanczosStatus::Breakdown;
        break;
      }
      continue;
    }
    if (lanczos_converged_now(r.alpha, r.beta, o, static_cast<std::size_t>(m), tnorm)) {
      r.status = LanczosStatus::Converged;
      break;
    }
    if (j + 1 < m) space.advance(j + 1, b);
  }
  r.loop_seconds = seconds_since(t_loop);
  if (o.converge_top + o.converge_bottom > 0 && r.status == LanczosStatus::Completed)
    r.status = LanczosStatus::NotConverged;
}

}  // namespace batchrmt::spectral
