// Matrices with known spectra for the spectral tests (docs/theory.md 4.4, 7.2 V6).
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <cstdint>

#include "core/rng.hpp"

namespace batchrmt::spectral::testing {

struct Tridiagonal {
  Eigen::VectorXd a, b;
  Eigen::MatrixXd dense() const {
    const Eigen::Index n = a.size();
    Eigen::MatrixXd t = Eigen::MatrixXd::Zero(n, n);
    t.diagonal() = a;
    for (Eigen::Index i = 0; i + 1 < n; ++i) t(i, i + 1) = t(i + 1, i) = b[i];
    return t;
  }
};

// 1-2-1 Toeplitz tridiag(-1, 2, -1): eigenvalues 2 - 2 cos(k pi / (n + 1)), k = 1..n.
inline Tridiagonal toeplitz121(Eigen::Index n) {
  return {Eigen::VectorXd::Constant(n, 2.0), Eigen::VectorXd::Constant(n - 1, -1.0)};
}
inline double toeplitz121_eigenvalue(Eigen::Index n, Eigen::Index k) {  // ascending, k = 1..n
  return 2.0 - 2.0 * std::cos(static_cast<double>(k) * M_PI / static_cast<double>(n + 1));
}

// Clement (Kac-Sylvester) matrix: zero diagonal, b_i = sqrt(i (n - i)); eigenvalues
// -(n-1), -(n-3), ..., n-3, n-1.
inline Tridiagonal clement(Eigen::Index n) {
  Tridiagonal t{Eigen::VectorXd::Zero(n), Eigen::VectorXd(n - 1)};
  for (Eigen::Index i = 1; i < n; ++i) t.b[i - 1] = std::sqrt(static_cast<double>(i * (n - i)));
  return t;
}

// Wilkinson W+_{2k+1}: diagonal |k - i|, off-diagonal 1. Its top eigenvalues come in pairs that
// agree to many digits (W+_21: 10.7461941829033... twice, to ~1e-13).
inline Tridiagonal wilkinson_plus(Eigen::Index k) {
  const Eigen::Index n = 2 * k + 1;
  Tridiagonal t{Eigen::VectorXd(n), Eigen::VectorXd::Ones(n - 1)};
  for (Eigen::Index i = 0; i < n; ++i) t.a[i] = static_cast<double>(std::abs(k - i));
  return t;
}

// GOE with off-diagonal variance 1/n and diagonal variance 2/n (semicircle on [-2, 2]).
inline Eigen::MatrixXd goe(Eigen::Index n, std::uint64_t seed, std::uint64_t stream = 0) {
  RandomStream rng(seed, stream);
  Eigen::MatrixXd w(n, n);
  const double s = 1.0 / std::sqrt(static_cast<double>(n));
  for (Eigen::Index j = 0; j < n; ++j) {
    w(j, j) = std::sqrt(2.0) * s * rng.normal();
    for (Eigen::Index i = j + 1; i < n; ++i) w(i, j) = w(j, i) = s * rng.normal();
  }
  return w;
}

// GOE + theta v v^T with v a random unit vector: the top eigenvalue is an outlier near
// theta + 1/theta for theta > 1 (BBP), well separated from the edge at 2.
inline Eigen::MatrixXd spiked_goe(Eigen::Index n, double theta, std::uint64_t seed) {
  Eigen::MatrixXd w = goe(n, seed, 0);
  RandomStream rng(seed, 1);
  Eigen::VectorXd v(n);
  rng.fill_normal(v.data(), static_cast<std::size_t>(n));
  v.normalize();
  w += theta * v * v.transpose();
  return w;
}

// Random symmetric tridiagonal: a ~ N(0, 1), b ~ N(0, 1).
inline Tridiagonal random_tridiagonal(Eigen::Index n, std::uint64_t seed) {
  RandomStream rng(seed, 7);
  Tridiagonal t{Eigen::VectorXd(n), Eigen::VectorXd(n - 1)};
  rng.fill_normal(t.a.data(), static_cast<std::size_t>(n));
  rng.fill_normal(t.b.data(), static_cast<std::size_t>(n - 1));
  return t;
}

}  // namespace batchrmt::spectral::testing
