// The judgement of C6 (SGD) and C7 (Adam) from measured limits and predictions per batch size,
// torch-free (docs/learning-rates.md, "C6 and C7"). Two parts:
//   (a) per B: the measured lr_max (reference divergence factor) against the paper's formula
//       from the measured batch spectrum, with the no-batch-effect value as the null; the
//       mean-square form is reported beside it with its z. A batch size whose prediction is
//       within 4 se of the null has no power: it can only disagree, never agree.
//   (b) scaling: the log-log slope of lr_max on B over the batch sizes where q_B >= q_asymptotic
//       (at least two needed, else `outside its regime` with the largest q_B) against the
//       asymptotic law (SGD 1, Adam 1/2) with the competing law as the null, per divergence
//       factor; judged only where the slope is stable across the factors (within 2 se of the
//       reference factor's), else `inconclusive` naming the dependence. The slope over the
//       noise-dominated batch sizes (measured lambda'_1 >= nd_ratio lambda) is compared with the
//       formula's own slope over the same B and reported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "verify/claims.hpp"
#include "verify/lr_grid.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

struct LrPoint {
  std::int64_t B = 0;
  double kappa = 0, q = 0;
  double top_ratio = 0;  // measured lambda'_1(B) / lambda
  double predicted = 0, predicted_ln_se = 0;        // the paper's formula from the batch spectrum
  double mean_square = 0, mean_square_ln_se = 0;    // 2(1+rho)/(lambda + kappa V_phi/lambda) or its analogue
  double null_value = 0;                            // the same rule without the batch effect
  bool regime_ok = true;                            // the claim's further conditions (Adam: noisy moments)
  std::string regime_note;                          // why not, when !regime_ok
  std::vector<FactorLimit> limits;                  // one per factor of LrJudgeOptions::factors
};

struct LrJudgeOptions {
  std::vector<double> factors{1.5, 2.0, 4.0};
  double reference_factor = 2.0;
  double ln_budget = 0.0;       // per-B budget in ln(lr) (finite-step bias of the divergence rule)
  double claim_slope = 1.0;     // asymptotic law
  double null_slope = 0.5;      // competing law
  double slope_budget = 0.1;    // bias budget of the slope
  double q_asymptotic = 4.0;
  double nd_ratio = 2.0;
};

struct LrRowJudgement {
  double z = 0, z_mean_square = 0, se = 0, power = 0;
  Verdict verdict = Verdict::not_measured;  // not_measured: reported (no power, within tolerance)
  std::string rule;
};

struct SlopeFit {
  double slope = 0, slope_se = 0;
  std::size_t points = 0;
};

struct LrJudgement {
  std::vector<LrRowJudgement> rows;
  Verdict per_b = Verdict::not_measured, scaling = Verdict::not_measured;
  std::string per_b_note, scaling_note;
  std::vector<SlopeFit> nd_slopes, asym_slopes;  // per factor
  SlopeFit predicted_nd_slope;
  double largest_q = 0;
  double scaling_z = 0;
};

// The index of `factor` in options.factors (InvalidInput when absent).
std::size_t factor_index(const LrJudgeOptions& options, double factor);

LrJudgement judge_learning_rates(const std::vector<LrPoint>& points, const LrJudgeOptions& options);

// Series and labels of a judged sweep into the claim (prefix "" or "small_"...).
void put_learning_rates(ClaimResult& r, const std::string& prefix, const std::vector<LrPoint>& points, const LrJudgement& j,
                        const LrJudgeOptions& options);

// The claim's headline from part (b): the law against the measured slope at the reference factor.
void put_scaling_headline(ClaimResult& r, const LrJudgement& j, const LrJudgeOptions& options);

}  // namespace batchrmt::verify
