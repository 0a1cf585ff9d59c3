// C8's learner settings from a Config's [c8] section (verify/claim_c8_learner.cpp; keys in
// docs/learner.md). Built only with LibTorch.
#pragma once

#ifdef BATCHRMT_WITH_TORCH
#include <string>

#include "core/config.hpp"
#include "networks/learner.hpp"

namespace batchrmt::verify {

// The learner's options of section `sec` (epochs, batch_size, curvature_every, curvature_steps,
// curvature_batch, curvature_seed, curvature_batchnorm, warmstart, lr_init, momentum_init,
// weight_decay). The curvature operator computes the subset in one forward chunk (chunk_size =
// curvature_batch), as the authors' learner did (docs/theory.md §6.4: their HVP loader's batch is the
// whole curvature subset, which is the BatchNorm batch in train mode).
networks::LearnerOptions learner_options_from_config(const Config& c, const std::string& sec = "c8");

}  // namespace batchrmt::verify
#endif
