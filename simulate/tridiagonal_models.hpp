// Exact O(n) random-matrix models (docs/theory.md 4.1-4.5): the Dumitriu–Edelman beta-Hermite
// tridiagonal and beta-Laguerre bidiagonal models, with rank-one spikes and the edge
// truncation of Edelman & Rao (2005). Extreme eigenvalues by Sturm bisection (spectral/).
#pragma once

#include <Eigen/Core>
#include <cstdint>

#include "core/rng.hpp"

namespace batchrmt::simulate {

// Symmetric tridiagonal T = tridiag(b; a; b): a has K entries, b has K-1.
struct Tridiagonal {
  Eigen::VectorXd a;
  Eigen::VectorXd b;
  Eigen::Index n = 0;  // size of the model this block belongs to (K = a.size() <= n)
  bool truncated() const { return a.size() < n; }
};

// Edge truncation size K = ceil(10 n^{1/3}) (Edelman & Rao 2005, §10; docs/theory.md 4.5), capped at n.
Eigen::Index edge_truncation_size(Eigen::Index n);

// beta-Hermite model in the normalisation of docs/theory.md 2.1 / 4.1 [STD] (Dumitriu & Edelman
// 2002, J. Math. Phys. 43:5830):
//   a_i ~ sigma N(0, 2/(beta n))        (variance 2/(beta n): "N(0,2)" in D–E is a variance)
//   b_k = sigma chi_{beta(n-k)} / sqrt(beta n),  k = 1..n-1,
// independent, drawn in the order a_1..a_K then b_1..b_{K-1}. E tr T^2 = sigma^2 (n - 1 + 2/beta).
// Additive rank-one spike theta v v^T (v delocalised or any fixed v, by invariance): a_1 += theta
// (docs/theory.md 4.3). With `truncate` = K < n, only the top-left K x K block of the size-n model is
// drawn (the same entries, not a size-K model). Cost O(K).
Tridiagonal sample_beta_hermite(Eigen::Index n, double beta, double sigma, double theta, RandomStream& rng,
                                Eigen::Index truncate = 0);

// beta-Laguerre model (docs/theory.md 4.2 [STD]): for p <= m (p variables, m samples) the lower
// bidiagonal L with diagonal chi_{beta m}, chi_{beta(m-1)}, ..., chi_{beta(m-p+1)} and
// subdiagonal chi_{beta(p-1)}, ..., chi_beta, drawn in that order (diagonal first), gives
// T = sigma2 L L^T / m with the eigenvalues of the sample covariance XX^T/m (beta = 1: X real
// Gaussian, Sigma = sigma2 I). Covariance spike Sigma = diag(ell, sigma2, ...): L_11 <- sqrt(ell/sigma2) L_11
// (docs/theory.md 4.3). For p > m without a spike the m x m companion (roles of p and m swapped)
// gives the nonzero eigenvalues; p > m with a spike is refused (no exact sparse model here:
// use the dense sampler). Truncation as for Hermite.
Tridiagonal sample_beta_laguerre(Eigen::Index p, Eigen::Index m, double beta, double sigma2, double ell,
                                 RandomStream& rng, Eigen::Index truncate = 0);

// Largest / smallest eigenvalue of T by Sturm bisection (spectral::tridiagonal_kth_largest; for
// K >= 20000 warm-started from the leading 40 K^{1/3} block, see tridiagonal_models.cpp).
double top_eigenvalue(const Tridiagonal& t);
double bottom_eigenvalue(const Tridiagonal& t);
// Both together (what `simulate spiked-wigner/-covariance --method tridiagonal` measures per
// trial): one generation, both brackets warm-started, every O(n) sweep shared by the two ends.
// Equal to {top_eigenvalue(t), bottom_eigenvalue(t)} for K < 20000, and to within the bisection
// tolerance (a few ulp) above.
struct ExtremeEigenvalues {
  double top = 0;
  double bottom = 0;
};
ExtremeEigenvalues extreme_eigenvalues(const Tridiagonal& t);

}  // namespace batchrmt::simulate
