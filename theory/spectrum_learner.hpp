// The on-the-fly spectrum-driven learners of the authors' public code (docs/theory.md §6.4 [CODE]),
// built on Polyak's optimal step and momentum for a quadratic with curvature in [mu, L] (§2.7
// [STD]; Polyak 1964, USSR Comput. Math. Math. Phys. 4(5):1). Input: the Ritz values theta_j
// and SLQ weights tau_j of a short Lanczos run on a fixed curvature subset.
#pragma once

#include <string>
#include <vector>

#include "theory/learning_rates.hpp"

namespace batchrmt::theory {

enum class LearnerVariant {
  SSGD,    // lr 2/(L + mu), no momentum (median rule in the code)
  SSGDM,   // lr 4/(sqrt L + sqrt mu)^2, momentum ((sqrt L - sqrt mu)/(sqrt L + sqrt mu))^2 (Polyak)
  SSGDMN,  // lr sqrt(mu/L) as coded (dimensionless), momentum (sqrt L - sqrt mu)/(sqrt L + sqrt mu)
};
enum class MuRule {
  Minimum,  // delete the Ritz value of largest weight while that weight exceeds 0.5, then min |theta|
  Median,   // median of |theta|
};
LearnerVariant parse_learner_variant(const std::string& name);  // "ssgd" | "ssgdm" | "ssgdmn"
MuRule parse_mu_rule(const std::string& name);                  // "minimum" | "median"
const char* to_string(LearnerVariant v);
const char* to_string(MuRule r);

struct LearnerChoice {
  double L = 0.0;   // max_j |theta_j|
  double mu = 0.0;  // by the rule
  double lr = 0.0;
  double momentum = 0.0;
  std::vector<double> kept;  // |theta_j| left after the minimum rule's deletions (all of them for median)
  int deleted = 0;           // Ritz values deleted by the minimum rule
};

// §6.4 step 3-5. `weights` may be empty for the median rule. SSGDM's momentum uses `formula`
// (Polyak by default; MomentumFormula::Code reproduces the code's ((sqrt L - sqrt mu)/(sqrt L + mu))^2,
// almost certainly a typo, as a documented option). Throws InvalidInput for empty or
// non-finite Ritz values, weights of the wrong length, or L = 0.
LearnerChoice spectrum_learner_rates(const std::vector<double>& ritz, const std::vector<double>& weights,
                                     LearnerVariant variant, MuRule rule,
                                     MomentumFormula formula = MomentumFormula::Polyak);

}  // namespace batchrmt::theory
