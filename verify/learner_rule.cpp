#include "verify/learner_rule.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include "core/errors.hpp"
#include "theory/spectrum_learner.hpp"

namespace batchrmt::verify {

namespace nw = batchrmt::networks;

networks::LearnerRule make_learner_rule(const std::string& variant, const std::string& mu_rule,
                                        const std::string& momentum_formula) {
  const auto v = theory::parse_learner_variant(variant);
  const auto m = theory::parse_mu_rule(mu_rule);
  theory::MomentumFormula mf;
  if (momentum_formula == "polyak") mf = theory::MomentumFormula::Polyak;
  else if (momentum_formula == "code") mf = theory::MomentumFormula::Code;
  else throw InvalidInput("momentum formula is '" + momentum_formula + "', but must be polyak or code.");
  return [v, m, mf](const std::vector<double>& ritz, const std::vector<double>& weights) {
    const auto c = theory::spectrum_learner_rates(ritz, weights, v, m, mf);
    nw::LearnerRates r;
    r.L = c.L;
    r.mu = c.mu;
    r.lr = c.lr;
    r.momentum = c.momentum;
    r.deleted = c.deleted;
    return r;
  };
}

}  // namespace batchrmt::verify
#endif
