// Claim C5 on real networks (docs/theory.md §5.7, §3.4): the measured top eigenvalue of the batch
// Hessian per B against the no-free-parameter prediction lambda + kappa_B V_phi / lambda built
// from the measured per-sample noise, with the regime of every batch size.
#pragma once

#include "verify/claims.hpp"

namespace batchrmt::verify {

// Config [c5]: cases = ["linear_init", "lenet_trained"] (default), each a [c5.<case>] table
// whose keys fall back to [c5]'s: model (depth, width), dataset (data_dir, else run.data_dir
// from `reproduce --data-dir`; image_side), normalize, train_subset (the population N; 0 = all),
// test_subset, device (else run.device), training (epochs, 0 = the initialisation; optimizer,
// lr, momentum, weight_decay, schedule, batch_size, augment, checkpoint_every), measure_epochs
// (default [epochs]), recompute_bn_batch, batchnorm, the measurement (batch_sizes, 0 = full;
// subsets, lanczos_steps, full_lanczos_steps, noise_samples, dtype, basis, graph_reuse,
// chunk_size), and in [c5] perturbative_q (largest q_B = kappa V_phi / lambda^2 judged) and
// relative_budget. With run.work_dir (set by `reproduce` to RUN.work) checkpoints and every
// measured spectrum are kept there as resumable files. A case whose data are absent is "not
// measured" with the reason; without LibTorch the claim is.
ClaimResult claim_real_network(const Config& config, std::uint64_t seed);

}  // namespace batchrmt::verify
