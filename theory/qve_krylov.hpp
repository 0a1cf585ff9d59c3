// Pieces shared by the QVE solver's files (theory/qve.cpp, theory/qve_edge.cpp); not an
// interface for other layers.
#pragma once

#include <Eigen/Dense>

namespace batchrmt::theory::qve_detail {

inline double sup_norm(const Eigen::VectorXd& v) { return v.cwiseAbs().maxCoeff(); }

// Conjugate gradients (Hestenes & Stiefel 1952) for (I - Kx) y = rhs, optionally on the
// orthogonal complement of the unit vector u (rhs must lie there). Fails on non-positive
// curvature (the operator is not positive definite) or when maxit is reached.
template <class Op>
inline bool conjugate_gradients(const Op& kx, const Eigen::VectorXd& rhs, Eigen::VectorXd& y, double rtol, int maxit,
                         const Eigen::VectorXd* u, int& iters, double* u_part = nullptr) {
  // u_part (with u): accumulates u^T (I - Kx) y, the component the projection removes.
  if (u_part) *u_part = 0.0;
  y = Eigen::VectorXd::Zero(rhs.size());
  Eigen::VectorXd r = rhs;
  if (u) r -= u->dot(r) * (*u);
  double rr = r.squaredNorm();
  const double stop = rtol * rtol * rr;
  if (rr == 0.0) return true;
  Eigen::VectorXd p = r;
  for (int it = 0; it < maxit; ++it) {
    Eigen::VectorXd q = p - kx(p);
    ++iters;
    const double uq = u ? u->dot(q) : 0.0;
    if (u) q -= uq * (*u);
    const double pq = p.dot(q);
    if (!(pq > 0.0)) return false;
    const double alpha = rr / pq;
    if (u_part) *u_part += alpha * uq;
    y.noalias() += alpha * p;
    r.noalias() -= alpha * q;
    const double rr_new = r.squaredNorm();
    if (rr_new <= stop) return true;
    p = r + (rr_new / rr) * p;
    rr = rr_new;
  }
  return false;
}

}  // namespace batchrmt::theory::qve_detail
