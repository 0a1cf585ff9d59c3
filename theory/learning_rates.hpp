// Learning-rate and optimiser rules derived from the predicted top eigenvalue of the batch
// Hessian. Each result carries the regime it is in: the suite checks the paper's claims, it
// does not assume them (docs/theory.md §3).
//
// docs/theory.md §2.7: SGD stability [STD] with the batch-size application [RECON]; heavy ball
// [STD] (Polyak 1964, USSR Comput. Math. Math. Phys. 4(5):1); Adam [RECON]; minimal damping
// [RECON]; §3.1 [DER] (the homogeneous additive model has no linear regime above threshold);
// §3.4 regime table. The paper: Granziol, Zohren & Roberts, JMLR 23 (2022), arXiv:2006.09092.
#pragma once

#include <cstdint>
#include <string>

namespace batchrmt::theory {

// §2.7 [STD]: GD on a quadratic is stable iff alpha < 2/lambda'_1.
double sgd_max_lr(double lambda_top);
// §2.7 [STD]: heavy ball w+ = w - alpha g + rho (w - w_prev) is stable iff 0 < alpha lambda' < 2(1 + rho), |rho| < 1.
double heavy_ball_max_lr(double lambda_top, double momentum);
// §2.7: an EMA momentum m <- beta1 m + (1 - beta1) g has step alpha (1 - beta1) and rho = beta1.
double ema_momentum_max_lr(double lambda_top, double beta1);

// §2.7 [RECON]: B_noise = P sigma^2 / lambda_1^2 (homogeneous) or V_phi / lambda_1^2 (§5.7);
// noise_power is P sigma^2 or V_phi.
double noise_batch_size(double lambda1, double noise_power);

// §2.8 [DER]: where a batch size stands. With q_B = kappa_B V_phi / lambda^2 the mean-square SGD
// limit is 2(1+rho) / (lambda (1 + q_B)); with kappa_B ~ 1/B (N >> B) its local exponent
// d ln(alpha) / d ln(B) is q_B / (1 + q_B): 1 is linear scaling, 0 is saturation.
double mean_square_exponent(double q);
// The exponent's reading: curvature-dominated (q_B <= 1/4, exponent <= 0.2: a larger B buys almost
// no larger rate), noise-dominated (q_B >= 4, exponent >= 0.8: the rate grows about linearly
// with B), crossover in between.
enum class BatchNoiseRegime { curvature_dominated, crossover, noise_dominated };
BatchNoiseRegime batch_noise_regime(double q);
const char* to_string(BatchNoiseRegime regime);

// Local exponent d ln(alpha) / d ln(B) classified (thresholds 0.75 and 0.25):
// "linear" (>= 0.75), "square-root" (in [0.25, 0.75)), "saturating" (< 0.25, including negative).
std::string classify_exponent(double exponent);

// SGD maximal learning rate at batch size B in the homogeneous additive model (Theorem A).
struct SgdRule {
  std::int64_t B = 0;
  double kappa = 0.0;
  double q = 0.0;               // kappa_B B_noise (= omega_B^2 / lambda_1^2); threshold at q = 1
  double lambda_top = 0.0;      // exact Theorem A: outlier lambda_1 + kappa P s2/lambda_1, or edge 2 omega_B
  double lr_max = 0.0;          // 2 / lambda_top (momentum rho: 2 (1 + rho)/lambda_top)
  double lr_first_order = 0.0;  // the outlier formula extrapolated: (2/lambda_1)/(1 + q) (times 1 + rho)
  double exponent = 0.0;        // local d ln lr_max / d ln B of the exact rule (B as a real variable)
  // "edge" (q > 1: below the BBP threshold, lr ∝ sqrt(kappa)^-1), "threshold" (q = 1),
  // "saturating" (q <= 0.1: within 10% of 2/lambda_1), "crossover" otherwise.
  std::string regime;
  // what the extrapolated first-order formula alone would say: "linear" (q >= 10), "saturating"
  // (q <= 0.1), "crossover" otherwise. Where regime is "edge" this label is not the model's answer.
  std::string first_order_regime;
};
// lambda1 > 0 top spike of H_emp, noise_power = P s^2 (or V_phi), N pool size (N = 0: infinite,
// kappa = 1/B), momentum rho in [0, 1).
SgdRule sgd_rule(double lambda1, double noise_power, std::int64_t N, std::int64_t B, double momentum = 0.0);

// Adam (no bias correction, isotropic second moment) [RECON], §2.7: v = g_mean^2 + kappa s_g^2,
// alpha_max = 2 (sqrt(v) + delta) / lambda'_1(B). Limits: delta >> sqrt(v): 2 delta/lambda'_1
// (SGD-like); noise-dominated v with small delta: 2 s_g sqrt(kappa)/lambda'_1 (square-root rule
// where the shift dominates lambda'_1).
struct AdamRule {
  std::int64_t B = 0;
  double kappa = 0.0;
  double lambda_top = 0.0;
  double second_moment = 0.0;  // v
  double lr_max = 0.0;
  double exponent = 0.0;       // local d ln lr_max / d ln B
  // "damping-dominated" (delta >= 10 sqrt v), "noise-dominated" (kappa s_g^2 >= 10 g^2 and
  // delta <= sqrt(v)/10), "signal-dominated" (g^2 >= 10 kappa s_g^2 and delta <= sqrt(v)/10), "mixed".
  std::string regime;
  std::string scaling;         // classify_exponent(exponent)
};
AdamRule adam_rule(double lambda1, double noise_power, std::int64_t N, std::int64_t B, double delta,
                   double grad_sd, double grad_mean = 0.0);

// Minimal damping for damped second-order steps [RECON], §2.7: delta_min = alpha lambda'_1(B) / 2.
struct DampingRule {
  std::int64_t B = 0;
  double lambda_top = 0.0;
  double delta_min = 0.0;
  double exponent = 0.0;  // d ln delta_min / d ln B (shift-dominated outlier: -1; edge: -1/2)
  std::string regime;     // "edge" / "threshold" / "outlier" of lambda_top
};
DampingRule minimal_damping(double lr, double lambda1, double noise_power, std::int64_t N, std::int64_t B);

// Optimal constant step and momentum on a quadratic with curvature in [mu, L] [STD], §2.7
// (Polyak 1964). The [CODE] variant of the authors' SSGDM script (§6.4) uses
// ((sqrt L - sqrt mu)/(sqrt L + mu))^2, almost certainly a typo; offered for reproduction only.
enum class MomentumFormula { Polyak, Code };
struct HeavyBallRule {
  double condition = 0.0;      // L / mu
  double gd_lr = 0.0;          // 2/(L + mu)
  double gd_rate = 0.0;        // (kappa - 1)/(kappa + 1) per step
  double lr = 0.0;             // 4/(sqrt L + sqrt mu)^2
  double momentum = 0.0;       // ((sqrt L - sqrt mu)/(sqrt L + sqrt mu))^2 (Polyak) or the code variant
  double rate = 0.0;           // (sqrt kappa - 1)/(sqrt kappa + 1) per step (Polyak)
  std::string momentum_formula;  // "polyak" or "code"
};
HeavyBallRule heavy_ball_optimal(double lambda_max, double lambda_min, MomentumFormula f = MomentumFormula::Polyak);

}  // namespace batchrmt::theory
