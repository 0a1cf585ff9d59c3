// Tracy–Widom distributions F_1 and F_2 and the edge scalings that use them.
//
// docs/theory.md §2.4 [STD]: Tracy & Widom (1994) CMP 159:151; (1996) CMP 177:727. Numerical method:
// Bornemann (2010) Math. Comp. 79:871 (arXiv:0804.2543) and Markov Proc. Rel. Fields 16:803
// (arXiv:0904.1581): F(s) = det(I - K) on L^2(s, inf), discretised by m-point Gauss–Legendre
// nodes mapped by x = s + 10 tan(pi (xi + 1)/4), F(s) ≈ det(delta_ij - w_i^{1/2} K(x_i, x_j) w_j^{1/2}).
//   F_2: K(x, y) = (Ai(x) Ai'(y) - Ai'(x) Ai(y))/(x - y), diagonal Ai'(x)^2 - x Ai(x)^2.
//   F_1: K(x, y) = Ai((x + y)/2)/2.
// Reference constants: docs/theory.md §7.3.
#pragma once

namespace batchrmt::theory {

struct TracyWidomOptions {
  int nodes = 60;  // Gauss–Legendre points m (m = 40 gives ~1e-8 or better; 60 ~1e-14)
};

// CDF F_beta(s), beta in {1, 2}.
double tracy_widom_cdf(int beta, double s, const TracyWidomOptions& opt = {});
// Density f_beta(s) = F'_beta(s) by a fourth-order central difference of the CDF (h = 1e-3;
// truncation ~1e-12, rounding ~1e-13).
double tracy_widom_pdf(int beta, double s, const TracyWidomOptions& opt = {});
// Quantile: F_beta(s) = p, p in (0, 1), by Boost toms748 on [-12, 16].
double tracy_widom_quantile(int beta, double p, const TracyWidomOptions& opt = {});

struct TracyWidomMoments {
  double mean = 0.0, variance = 0.0, skewness = 0.0, excess_kurtosis = 0.0;
  int cdf_evaluations = 0;
};
// Moments from E X^k written as integrals of F and 1 - F over [-12, 0] and [0, 16]
// (Gauss–Legendre, 100 points on each side); the neglected tails are below 1e-15.
// Computed once per (beta, nodes) and cached.
TracyWidomMoments tracy_widom_moments(int beta, const TracyWidomOptions& opt = {});

// Centring and scaling of an extreme eigenvalue: lambda_max ≈ center + scale * TW_beta.
struct EdgeScaling {
  double center = 0.0;
  double scale = 0.0;
  double standardize(double lambda_max) const { return (lambda_max - center) / scale; }
};
// §2.4: Gaussian Wigner ensembles in the §2.1 normalisation: center 2 sigma, scale sigma n^{-2/3}.
EdgeScaling wigner_edge_scaling(double n, double sigma = 1.0);
// §2.4: general square-root edge tau with density (c/pi) sqrt(tau - x) (per dimension n):
// center tau, scale (c n)^{-2/3}.
EdgeScaling square_root_edge_scaling(double tau, double c, double n);
// §2.4: real white Wishart (Johnstone 2001, Ann. Stat. 29:295; Ma 2012, Bernoulli 18:322), for
// the unnormalised X X^T, X of size n x m: mu = (sqrt(m - 1/2) + sqrt(n - 1/2))^2,
// sigma = (sqrt(m - 1/2) + sqrt(n - 1/2)) ((m - 1/2)^{-1/2} + (n - 1/2)^{-1/2})^{1/3}.
// normalised = true divides both by m (the sample covariance (1/m) X X^T of §2.1).
EdgeScaling wishart_edge_scaling(double n, double m, bool normalised = false);

}  // namespace batchrmt::theory
