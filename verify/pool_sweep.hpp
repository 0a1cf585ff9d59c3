// Batch spectra of simulated per-sample pools, shared by claims C1-C4 (docs/theory.md §5.4, §5.8).
#pragma once

#include <Eigen/Dense>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "simulate/sample_pool.hpp"
#include "verify/claims.hpp"

namespace batchrmt::verify {

// Batch spectra of a pool: for every B, `subsets` batches (subset s = the first B entries of
// the permutation of RandomStream(seed, s), docs/theory.md §5.4), their extreme eigenvalues.
struct PoolSweep {
  std::vector<std::int64_t> Bs;
  Eigen::MatrixXd top, bottom;  // B x subsets
  std::vector<double> kappa, top_mean, top_se, bottom_mean, bottom_se;
  Eigen::VectorXd empirical;    // spectrum of H_emp, ascending
  double F = 0.0;               // population Frobenius variance
};

PoolSweep sweep_pool(const simulate::SamplePool& pool, const std::vector<std::int64_t>& Bs, std::int64_t subsets,
                     std::uint64_t seed);

// The sweep's series, per-subset matrices and pool scalars under `prefix` in r.
void store_sweep(ClaimResult& r, const PoolSweep& s, const std::string& prefix);

// The pool of `spec` for experiment `experiment` (experiment_seed), its samples cached in memory
// up to 2 GB (SamplePool::cache_samples: the numbers are the same), swept and stored in r under
// `prefix`.
PoolSweep sweep_new_pool(ClaimResult& r, const simulate::PoolSpec& spec, std::uint64_t experiment, const std::vector<std::int64_t>& Bs,
                         std::int64_t subsets, std::uint64_t seed, const std::string& prefix);

// The [section] pool of a config: P, N, spikes, s2.
simulate::PoolSpec hessian_pool_spec(const Config& c, const std::string& section, std::vector<double> default_spikes);

// Seeds of the pools: independent experiments get independent pools.
std::uint64_t experiment_seed(std::uint64_t seed, std::uint64_t experiment);

// Smallest s2 per entry consistent with F: s2_eff = F / P^2 (docs/theory.md §5.8, homogeneous model).
double effective_s2(const PoolSweep& s, double P);

}  // namespace batchrmt::verify
