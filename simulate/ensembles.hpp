// Dense random-matrix ensembles of docs/theory.md 2.1, 2.3, 2.5, 2.6 and 4.6: spiked Wigner,
// spiked sample covariance, and Wigner-type matrices with a variance profile.
// Everything draws from an explicit RandomStream, in a documented order, so (seed, stream)
// reproduces a matrix exactly.
#pragma once

#include <Eigen/Dense>
#include <functional>
#include <vector>

#include "core/rng.hpp"
#include "simulate/wigner.hpp"

namespace batchrmt::simulate {

// r orthonormal columns of an n x r matrix, uniformly distributed (Haar) on the Stiefel
// manifold: Gaussian n x r (column by column from `rng`), then Householder QR with the signs
// of R's diagonal made positive (Mezzadri 2007, Notices AMS 54:592). Delocalised: each
// column has entries of order n^{-1/2}. r <= n.
Eigen::MatrixXd random_orthonormal_columns(Eigen::Index n, Eigen::Index r, RandomStream& rng);

// H += sum_a theta_a v_a v_a^T for the columns v_a of `vectors` (n x r), r = thetas.size().
void add_spikes(Eigen::MatrixXd& h, const std::vector<double>& thetas, const Eigen::MatrixXd& vectors);

// Additive spiked Wigner (docs/theory.md 2.3 [STD]): H = W + sum theta_a v_a v_a^T, W as in
// sample_wigner (drawn first), then the v_a: Haar-random columns when `vectors` is empty
// (delocalised), otherwise the given orthonormal n x r matrix.
Eigen::MatrixXd sample_spiked_wigner(Eigen::Index n, double sigma, const std::vector<double>& thetas,
                                     RandomStream& rng, EntryLaw law = EntryLaw::gaussian,
                                     const Eigen::MatrixXd& vectors = Eigen::MatrixXd());

// Spiked sample covariance (docs/theory.md 2.6 [STD]): p variables, m samples, gamma = p/m,
// Sigma = sigma2 I + sum_a (ell_a - sigma2) u_a u_a^T with u_a the coordinate vectors e_1..e_r
// (any orthonormal u gives the same spectrum, by invariance of the Gaussian Z).
// X = Sigma^{1/2} Z with Z p x m of i.i.d. standardised entries drawn column by column.
// Returns the nonzero-spectrum matrix: XX^T/m (p x p) when p <= m, else the Gram companion
// X^T X/m (m x m), which has the same nonzero eigenvalues (cheap for gamma >> 1).
Eigen::MatrixXd sample_spiked_covariance(Eigen::Index p, Eigen::Index m, double sigma2,
                                         const std::vector<double>& ells, RandomStream& rng,
                                         EntryLaw law = EntryLaw::gaussian);

// A block variance profile (docs/theory.md 2.5 "Block profiles"): indices split into K
// consecutive blocks of sizes n_a; entries (j, k) with j in block a, k in block b have
// variance s_ab (the actual entry variance, no further 1/n), s symmetric and non-negative.
struct BlockProfile {
  std::vector<Eigen::Index> sizes;
  Eigen::MatrixXd variances;  // K x K

  Eigen::Index dimension() const;
  std::vector<Eigen::Index> block_of_index() const;  // length n
  // Checks sizes >= 1, K x K, symmetric, non-negative, finite: InvalidInput otherwise.
  void validate(const char* function) const;
  // Row sums r_j = sum_k S_jk (constant on blocks): r_a = sum_b n_b s_ab.
  Eigen::VectorXd block_row_sums() const;
};

// Wigner-type matrix with variance profile (docs/theory.md 4.6): upper triangle N(0, S_jk)
// (diagonal N(0, 2 S_jj), GOE convention), drawn row by row, entries of law `law`
// scaled to those variances.
Eigen::MatrixXd sample_profile_wigner(const BlockProfile& profile, RandomStream& rng,
                                      EntryLaw law = EntryLaw::gaussian);
// Full profile: S_jk = variance(j, k) for j <= k (must be symmetric in meaning; only j <= k is asked).
Eigen::MatrixXd sample_profile_wigner(Eigen::Index n, const std::function<double(Eigen::Index, Eigen::Index)>& variance,
                                      RandomStream& rng, EntryLaw law = EntryLaw::gaussian);

// A unit vector with block masses w_a = sum_{j in a} phi_j^2 (weights summing to 1):
// phi_j = sqrt(w_a / n_a) * (Rademacher sign), delocalised within each block.
Eigen::VectorXd block_spike_vector(const BlockProfile& profile, const std::vector<double>& weights,
                                   RandomStream& rng);

}  // namespace batchrmt::simulate
