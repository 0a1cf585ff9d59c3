// Batch Hessian model: the mini-batch Hessian H_B = H_emp + eps_B with eps_B modelled as a
// Wigner matrix of entry variance kappa_B s^2 (additive, Theorem A), and the batch GGN as a
// spiked sample covariance (multiplicative, §2.6).
//
// docs/theory.md §1.2 [STD] (kappa_B, Cochran 1977 Thm 2.2), §2.3 Theorem A [RECON of the paper;
// the mathematics is STD], §2.6 GGN [RECON mapping; STD spiked covariance], §5.7 [DER].
// The paper is Granziol, Zohren & Roberts, JMLR 23 (2022), arXiv:2006.09092; the formulas
// here are reconstructions to be tested, not the paper's equations.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "theory/regime.hpp"

namespace batchrmt::theory {

// docs/theory.md §1.2 [STD]: finite-population factor kappa_B = (N - B)/(B (N - 1)) for a batch of
// size B drawn without replacement from N samples (1 <= B <= N). kappa_N = 0, kappa_1 = 1.
// N = 1 (so B = 1) gives 0.
double kappa_factor(std::int64_t N, std::int64_t B);
// The infinite-population (or with-replacement) limit 1/B.
double kappa_factor_infinite(std::int64_t B);

// docs/theory.md §2.1: entry variance of eps_B, v_B = kappa_B s^2, and omega_B^2 = P kappa_B s^2
// (semicircle radius 2 omega_B).
double batch_noise_variance(double kappa, double s2);
double batch_omega2(double kappa, double P, double s2);

// One batch size of the additive (Wigner) batch-Hessian model, docs/theory.md §2.3 Theorem A.
struct BatchHessianRow {
  std::int64_t B = 0;
  double kappa = 0.0;
  double omega = 0.0;  // omega_B = sqrt(P kappa_B s^2); bulk edges ±2 omega_B
  double top = 0.0;    // predicted largest eigenvalue of H_B
  double bottom = 0.0; // predicted smallest eigenvalue of H_B
  SpikeRegime regime_top = SpikeRegime::Subcritical;
  SpikeRegime regime_bottom = SpikeRegime::Subcritical;
  double overlap_top = 0.0;  // |<phi', phi>|^2 of the spike that makes the top outlier
  double top_sd = 0.0;       // outlier sd, sqrt(2 kappa s^2 (1 - omega^2/lambda^2)) (beta = 1)
  std::optional<double> lr_max_sgd;  // 2/top when top > 0 (§2.7)
};

// spikes: eigenvalues lambda_a of H_emp (either sign, orthonormal eigenvectors, delocalised);
// P parameters, s2 = per-entry population variance of the per-sample Hessians, N pool size
// (N = 0: infinite pool, kappa_B = 1/B),
// Bs batch sizes in [1, N]. Positive spikes give the top, negative spikes the bottom; as B
// shrinks the top grows and the bottom falls.
std::vector<BatchHessianRow> batch_hessian_table(const std::vector<double>& spikes, double P, double s2,
                                                 std::int64_t N, const std::vector<std::int64_t>& Bs);

// GGN counterpart (docs/theory.md §2.6 [RECON]): G_B a sample covariance with m = B C_eff samples
// of dimension P around G_emp = sigma^2 I + sum (ell_a - sigma^2) u_a u_a^T; relative to G_emp
// (finite N) 1/B is replaced by kappa_B, so gamma_B = P kappa_B / C_eff (N = 0: infinite pool,
// gamma_B = P/(B C_eff)).
struct GgnBatchRow {
  std::int64_t B = 0;
  double kappa = 0.0;
  double gamma = 0.0;
  double top = 0.0;
  double edge = 0.0;    // sigma^2 (1 + sqrt gamma)^2
  double bottom = 0.0;  // 0 when B C_eff < P (rank deficient), else sigma^2 (1 - sqrt gamma)^2
  SpikeRegime regime = SpikeRegime::Subcritical;
  double overlap = 0.0;
  std::optional<double> lr_max_sgd;
};
std::vector<GgnBatchRow> ggn_batch_table(const std::vector<double>& ells, double sigma2, double P, double c_eff,
                                         std::int64_t N, const std::vector<std::int64_t>& Bs);

// docs/theory.md §5.7 [DER] primary first-order prediction lambda'_1 ≈ lambda + kappa_B V_phi / lambda
// (equals §2.5(f) with kappa_B V_phi = sum_j phi_j^2 r_j under the independent-entry model).
double first_order_shift(double lambda, double kappa, double V_phi);

// The threshold-aware (BBP) value of the same measured ingredients: Theorem A (docs/theory.md §2.3
// [STD]) with the noise radius omega_B^2 = kappa_B V_phi (the homogeneous identification
// V_phi ~ P s^2 of §5.7 [DER]): lambda + kappa V_phi / lambda while q_B = kappa V_phi / lambda^2
// <= 1, the bulk edge 2 sqrt(kappa V_phi) = 2 lambda sqrt(q_B) above the threshold. It equals the
// first-order form below the threshold and is always <= it (AM-GM).
double threshold_top(double lambda, double kappa, double V_phi);

// The regime ratio q_B = kappa_B V_phi / lambda^2 (docs/theory.md §3.4; the homogeneous BBP
// threshold is q_B = 1).
double regime_ratio(double lambda, double kappa, double V_phi);

// The outlier's standard deviation over batches at first order, sqrt(kappa_B W_phi)
// (docs/theory.md §5.7 [DER]; W_phi = (1/N) sum_i (phi^T h_i phi - phi^T H phi)^2).
double first_order_sd(double kappa, double W_phi);

// docs/theory.md §5.7 [DER] refined second order:
// lambda + kappa [V_perp/lambda + sum_k c_k (1/(lambda - lambda_k) - 1/lambda)], other spikes
// lambda_k with coefficients c_k.
double second_order_shift(double lambda, double kappa, double V_perp, const std::vector<double>& other_spikes,
                          const std::vector<double>& c);

}  // namespace batchrmt::theory
