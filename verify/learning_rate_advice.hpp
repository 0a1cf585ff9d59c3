// The practitioner's table of `batchrmt advise` (docs/advise.md; docs/theory.md §2.7, §2.8): per
// batch size B, from measured quantities only, the predicted top of the batch Hessian, where B
// stands (q_B and its regime), and the largest stable learning rate of SGD with heavy-ball
// momentum rho and of Adam, each in two forms side by side:
//   batch-spectrum form  2(1+rho) / lambda'_1(B)                    (measured batch spectra)
//   mean-square form     2(1+rho) / (lambda + kappa_B V_phi / lambda)  (Wu, Ma & E 2018)
// Adam uses its EMA momentum (step alpha (1 - beta1), rho = beta1) and the isotropic
// preconditioner d_B = 1/(sqrt(mean_j (G_j^2 + kappa_B s_j^2)) + eps) on the same two tops.
// Beside them the two critical batch sizes: curvature V_phi / lambda^2 (q_B = 1) and gradient
// B_simple = tr(Sigma) / |G|^2 (McCandlish et al. 2018). Uncertainties are standard errors
// propagated from the measured se of the batch tops, V_phi and tr(Sigma); learning-rate
// uncertainties are se of ln(lr). Torch-free: the caller measures, this file only derives.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "networks/training_kinds.hpp"
#include "outputs/store.hpp"
#include "theory/learning_rates.hpp"
#include "verify/lr_grid.hpp"

namespace batchrmt::verify {

struct BatchTopInput {
  std::int64_t B = 0;
  double kappa = 0;                // finite-population kappa_B (docs/theory.md §1.2)
  double top = 0, top_se = 0;      // mean of the batch tops over the subsets and its se (NaN with one)
  int subsets = 0;
  double adam_preconditioner = 0;  // d_B
};

struct AdviceInputs {
  std::int64_t N = 0, P = 0;
  double lambda = 0, lambda_residual = 0;  // full-data top (Lanczos) and its Ritz residual
  double v_phi = 0, v_phi_se = 0;          // curvature noise along the top eigenvector (§5.7)
  std::size_t noise_samples = 0;
  double gradient_norm2 = 0, trace_sigma = 0, trace_sigma_se = 0;  // |G|^2, tr(Sigma)
  std::size_t gradient_samples = 0;
  double momentum = 0.9, beta1 = 0.9, adam_eps = 1e-8;
  std::vector<BatchTopInput> batches;
};

struct AdviceRow {
  BatchTopInput in;
  double q = 0;              // kappa_B V_phi / lambda^2
  double exponent = 0;       // q / (1 + q): local d ln lr / d ln B of the mean-square form
  theory::BatchNoiseRegime regime = theory::BatchNoiseRegime::crossover;
  double predicted_top = 0, predicted_top_se = 0;  // lambda + kappa_B V_phi / lambda
  double sgd_lr = 0, sgd_lr_ln_se = 0;                          // batch-spectrum form
  double sgd_lr_mean_square = 0, sgd_lr_mean_square_ln_se = 0;  // mean-square form
  double adam_lr = 0, adam_lr_ln_se = 0;
  double adam_lr_mean_square = 0, adam_lr_mean_square_ln_se = 0;
  double b_over_b_simple = 0;
};

struct Advice {
  AdviceInputs in;
  double b_crit_curvature = 0, b_crit_curvature_se = 0;  // V_phi / lambda^2
  double b_simple = 0, b_simple_se = 0;                  // tr(Sigma) / |G|^2
  std::vector<AdviceRow> rows;
};

// The table from the measured inputs. InvalidInput names a value outside its range (lambda and
// |G|^2 must be positive, V_phi and tr(Sigma) non-negative, momentum and beta1 in [0, 1)).
Advice advise_learning_rates(const AdviceInputs& in);

// "below" (B < B_simple / 2), "near" or "above" (B > 2 B_simple): B against the gradient noise
// scale, where raising B still buys a proportionally larger step (below) or not (above).
std::string gradient_regime(double b_over_b_simple);

// A measured lr_max beside the two predictions of its row, for --measure.
struct MeasuredLimit {
  std::string optimizer;  // "sgd" or "adam" (networks::to_string)
  std::int64_t B = 0;
  FactorLimit limit;      // at the reported divergence factor
  double predicted = 0, predicted_ln_se = 0, ratio = 0, z = 0;  // batch-spectrum form
  // mean-square form
  double predicted_mean_square = 0, predicted_mean_square_ln_se = 0, ratio_mean_square = 0, z_mean_square = 0;
};
// ratio = measured / predicted; z = ln(ratio) / sqrt(se_measured^2 + se_predicted^2) in ln(lr),
// raw and signed (NaN when the limit is not bracketed).
MeasuredLimit compare_limit(const AdviceRow& row, networks::Optimizer optimizer, const FactorLimit& limit);

// True for Adam, false for SGD: the two optimisers the table predicts for. InvalidInput for
// another (adamw).
bool advises_adam(networks::Optimizer optimizer);

// /advise (attributes: the scalars) and /advise/table (one dataset per column), under `root`.
void write_advice(const outputs::Group& root, const Advice& advice);
// /advise/measured: one dataset per column of the compared limits.
void write_measured_limits(const outputs::Group& root, const std::vector<MeasuredLimit>& limits);

}  // namespace batchrmt::verify
