// Learning rates from curvature (docs/learning-rates.md; docs/theory.md §2.7, §3, §6.4): claims
// C6 (SGD, verify/claim_c6_sgd.cpp), C7 (Adam, claim_c7_adam.cpp) and C8 (the spectrum-driven
// learner against tuned SGD, claim_c8_learner.cpp), configured by the sections [c6], [c7], [c8]
// of a Config. Built without LibTorch the claims return not_measured. The lr-sweep they share
// their rules with (lr_limit_sweep.hpp, lr_limit_fit.hpp) and the learner's rule
// (learner_rule.hpp) are included for their callers.
#pragma once

#include <cstdint>

#include "core/config.hpp"
#include "verify/claims.hpp"
#include "verify/learner_rule.hpp"
#include "verify/lr_limit_fit.hpp"
#include "verify/lr_limit_sweep.hpp"

namespace batchrmt::verify {

// Claims (configs/default.toml [c6], [c7], [c8]; defaults in docs/learning-rates.md).
ClaimResult claim_sgd_scaling(const Config& config, std::uint64_t seed);
ClaimResult claim_adam_scaling(const Config& config, std::uint64_t seed);
ClaimResult claim_spectrum_learner(const Config& config, std::uint64_t seed);

}  // namespace batchrmt::verify
