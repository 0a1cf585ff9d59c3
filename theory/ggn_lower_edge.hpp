// The lower edge of a batch GGN from the population covariance (docs/learner.md and C4's notes).
//
// docs/theory.md §2.6 [STD]: when the per-sample factors g_ic (c = 1..C_eff) are i.i.d. N(0, Sigma / C_eff),
// G_B = (1/B) sum_{i in batch} sum_c g_ic g_ic^T is EXACTLY a sample covariance of m = B C_eff
// samples of Sigma = sigma^2 I + sum_a (ell_a - sigma^2) u_a u_a^T, whatever the pool it is drawn
// from (its items are i.i.d. draws). With gamma = P / m:
//   asymptotic lower edge   sigma^2 (1 - sqrt(gamma))^2 for gamma < 1 (Marchenko & Pastur 1967,
//                           Mat. Sb. 72:507), 0 for gamma >= 1 (rank <= m < P; at m = P a hard edge);
//   finite m                (mu_- - lambda_min(X^T X)) / sigma_- => TW_1 for real Gaussian X of m
//                           rows and P columns, P < m (Feldheim & Sodin 2010, GAFA 20:88; centring
//                           and scaling with the 1/2 shifts of Ma 2012, Bernoulli 18:322):
//                             mu_-    = (sqrt(m - 1/2) - sqrt(P - 1/2))^2,
//                             sigma_- = (sqrt(m - 1/2) - sqrt(P - 1/2)) ((P - 1/2)^{-1/2} - (m - 1/2)^{-1/2})^{1/3};
//                           so E lambda_min(G_B) ≈ sigma^2 (mu_- - E[TW_1] sigma_-) / m and
//                           sd ≈ sigma^2 sigma_- sd(TW_1) / m (TW_1 mean -1.2065, sd 1.2680, §7.3).
// Spikes above sigma^2 leave the lower edge unchanged (Baik & Silverstein 2006); spikes below
// sigma^2 would add lower outliers and are not modelled here.
// The kappa_B substitution of §2.6 (theory::ggn_batch_table's `bottom`) instead uses
// gamma_B = P kappa_B / C_eff relative to the pool's G_emp.
#pragma once

#include "theory/tracy_widom.hpp"

namespace batchrmt::theory {

// Centring and scaling of the SMALLEST eigenvalue of the real white Wishart X^T X, X of m rows
// (samples) and n < m columns (dimension): lambda_min ≈ center - scale * TW_1 (note the sign).
// normalised = true divides both by m (the sample covariance (1/m) X^T X).
EdgeScaling wishart_lower_edge_scaling(double n, double m, bool normalised = false);

struct PopulationLowerEdge {
  double m = 0, gamma = 0;  // samples B C_eff and P / m
  double edge = 0;          // sigma^2 (1 - sqrt(gamma))^2, or 0 for gamma >= 1
  double mean = 0;          // finite-m expectation of the smallest eigenvalue (edge for gamma >= 1: 0)
  double sd = 0;            // its standard deviation (0 for gamma >= 1)
};
// sigma2 > 0, P >= 1, m >= 1 (m = B C_eff; need not be an integer).
PopulationLowerEdge ggn_population_lower_edge(double sigma2, double P, double m);

}  // namespace batchrmt::theory
