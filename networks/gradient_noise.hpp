// The per-sample gradient noise of a network at its weights: the full-data mean gradient G, the
// per-coordinate variance s_j^2 of single-sample gradients, and the gradient noise scale
//   B_simple = tr(Sigma) / |G|^2
// (McCandlish, Kaplan, Amodei et al. 2018, "An Empirical Model of Large-Batch Training",
// arXiv:1812.06162, eq. 2.8; docs/theory.md §2.7). Sigma is the covariance of one sample's
// gradient over the population; tr(Sigma) = sum_j s_j^2 is estimated on M samples drawn without
// replacement, with G the exact population mean (so the estimate is unbiased):
//   d_i = |g_i - G|^2,   tr(Sigma) ~ mean_i d_i,   se = sd_i(d_i) / sqrt(M).
// Adam's expected second moment at batch size B (docs/theory.md §2.7) uses the same pieces:
// v_j(B) = G_j^2 + kappa_B s_j^2. No LibTorch in this header.
#pragma once

#include <Eigen/Dense>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "networks/curvature.hpp"

namespace batchrmt::networks {

struct GradientNoise {
  std::size_t samples = 0;                  // M
  std::vector<std::int64_t> indices;        // the M samples (first M of RandomStream(seed, stream)'s permutation)
  Eigen::VectorXd mean_gradient;            // G, over the operator's whole index set
  Eigen::VectorXd variance;                 // s_j^2 = mean_i (g_ij - G_j)^2
  std::vector<double> deviation_norm2;      // d_i = |g_i - G|^2 per sample (the evidence of tr Sigma)
  double gradient_norm2 = 0;                // |G|^2
  double trace = 0, trace_se = 0;           // tr(Sigma) and its standard error
  double b_simple = 0, b_simple_se = 0;     // tr(Sigma) / |G|^2 (|G|^2 is exact, so se scales alike)
};

// G from `full` (the population operator) and single-sample gradients of `samples` items drawn
// from it with batch_indices(N, M, seed, stream). M is clamped to [2, N]. Each sample costs one
// forward and backward pass of one item.
GradientNoise measure_gradient_noise(const CurvatureOperator& full, std::size_t samples, std::uint64_t seed,
                                     std::uint64_t stream = kNoiseStream);

// d_B = 1/(sqrt(vbar) + eps), vbar = mean_j (G_j^2 + kappa s_j^2): Adam's preconditioner taken
// isotropic at batch noise kappa = kappa_B, the v of docs/theory.md §2.7 and theory::adam_rule.
// (The mean of the D_j themselves is no such summary: coordinates with no gradient and no
// variance, such as dead units, give D_j = 1/eps and swamp it, though they carry no curvature.)
double isotropic_adam_preconditioner(const GradientNoise& noise, double kappa, double eps);

}  // namespace batchrmt::networks
