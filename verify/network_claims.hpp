// Claim C5 on real networks (THEORY.md §5.7, §3.4): the measured top eigenvalue of the batch
// Hessian per B against the no-free-parameter prediction lambda + kappa_B V_phi / lambda built
// from the measured per-sample noise, with the regime of every batch size.
#pragma once

#include "verify/claims.hpp"

namespace batchrmt::verify {

// Config [c5]: cases = ["linear_init", "lenet_trained"], train_subset (the population N),
// batch_sizes, subsets, lanczos_steps, full_lanczos_steps, noise_samples, lenet_epochs,
// lenet_lr, perturbative_q (largest q_B = kappa V_phi / lambda^2 judged), relative_budget.
// Without LibTorch: not measured, with the reason.
ClaimResult claim_real_network(const Config& config, std::uint64_t seed);

}  // namespace batchrmt::verify
