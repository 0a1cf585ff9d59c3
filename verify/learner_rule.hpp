// The spectrum-driven learner's rule (theory/spectrum_learner.hpp; docs/theory.md §6.4) as the
// callback networks/learner.hpp calls with the Ritz values of each curvature update. Built only
// with LibTorch (networks/ types).
#pragma once

#ifdef BATCHRMT_WITH_TORCH
#include <string>

#include "networks/learner.hpp"

namespace batchrmt::verify {

// variant ssgd | ssgdm, mu_rule (theory::parse_mu_rule), momentum_formula polyak | code
// (InvalidInput otherwise).
networks::LearnerRule make_learner_rule(const std::string& variant, const std::string& mu_rule,
                                        const std::string& momentum_formula);

}  // namespace batchrmt::verify
#endif
