// Symmetric Lanczos with full / selective reorthogonalisation. See lanczos.hpp for the algorithm,
// its references and its cost.
#include "spectral/lanczos.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include "core/checks.hpp"
#include "core/enum_names.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"
#include "spectral/detail_util.hpp"
#include "spectral/lanczos_recurrence.hpp"
#include "spectral/tridiagonal.hpp"

namespace batchrmt::spectral {

namespace {
constexpr EnumNames<Reorthogonalization, 3> kReorthNames{{
    {Reorthogonalization::Full, "full"}, {Reorthogonalization::Selective, "selective"}, {Reorthogonalization::None, "none"}}};
constexpr EnumNames<BasisStorage, 3> kStorageNames{{
    {BasisStorage::Fp64, "fp64"}, {BasisStorage::Fp32, "fp32"}, {BasisStorage::None, "none"}}};
constexpr EnumNames<StartVector, 3> kStartNames{{
    {StartVector::Rademacher, "rademacher"}, {StartVector::Gaussian, "gaussian"}, {StartVector::Given, "given"}}};
constexpr EnumNames<LanczosStatus, 4> kLanczosStatusNames{{{LanczosStatus::Completed, "completed"},
                                                            {LanczosStatus::Converged, "converged"},
                                                            {LanczosStatus::Breakdown, "breakdown"},
                                                            {LanczosStatus::NotConverged, "not_converged"}}};
}  // namespace

const char* to_string(Reorthogonalization r) { return enum_name(kReorthNames, r); }
const char* to_string(BasisStorage s) { return enum_name(kStorageNames, s); }
const char* to_string(StartVector s) { return enum_name(kStartNames, s); }
const char* to_string(LanczosStatus s) { return enum_name(kLanczosStatusNames, s); }

namespace {

using detail::Clock;
using detail::seconds_since;

constexpr double kEps = std::numeric_limits<double>::epsilon();

// Reference BLAS GEMV (LP64), provided by the BLAS that LAPACK links (OpenBLAS on Debian, whose
// kernels are chosen at run time for the CPU; our own code is built for baseline x86-64).
#ifdef BATCHRMT_WITH_LAPACK
extern "C" {
void dgemv_(const char* trans, const int* m, const int* n, const double* alpha, const double* a, const int* lda,
            const double* x, const int* incx, const double* beta, double* y, const int* incy);
void sgemv_(const char* trans, const int* m, const int* n, const float* alpha, const float* a, const int* lda,
            const float* x, const int* incx, const float* beta, float* y, const int* incy);
}
constexpr Eigen::Index kBlasMaxRows = 2147483647;  // LP64 BLAS: row counts must fit an int
#else
// Built without BLAS/LAPACK (BATCHRMT_WITH_LAPACK=OFF): Eigen's GEMV everywhere.
constexpr Eigen::Index kBlasMaxRows = -1;
void dgemv_(const char*, const int*, const int*, const double*, const double*, const int*, const double*, const int*,
            const double*, double*, const int*) {}
void sgemv_(const char*, const int*, const int*, const float*, const float*, const int*, const float*, const int*,
            const float*, float*, const int*) {}
#endif

using Basis64 = KrylovBasis<double>::View;
using Basis32 = KrylovBasis<float>::View;
using VectorRef = Eigen::Ref<Eigen::VectorXd>;

void blas_gemv(const char* t, int m, int n, double alpha, const double* a, int lda, const double* x, double beta,
               double* y) {
  const int one = 1;
  dgemv_(t, &m, &n, &alpha, a, &lda, x, &one, &beta, y, &one);
}
void blas_gemv(const char* t, int m, int n, float alpha, const float* a, int lda, const float* x, float beta, float* y) {
  const int one = 1;
  sgemv_(t, &m, &n, &alpha, a, &lda, x, &one, &beta, y, &one);
}

// y = alpha op(Q) x + beta y for the rows [r0, r0 + len) of the first j columns of a stored basis
// (op: transpose when `trans`). BLAS gemv (OpenBLAS reached 11-17 GB/s here against 4-6 GB/s for
// Eigen's column-major GEMV, docs/performance.md); Eigen beyond the LP64 range or without BLAS.
template <class Basis, class Scalar>
void gemv(bool trans, const Basis& q, Eigen::Index r0, Eigen::Index len, Eigen::Index j, Scalar alpha,
          const Scalar* x, Scalar beta, Scalar* y) {
  if (q.rows() <= kBlasMaxRows) {
    blas_gemv(trans ? "T" : "N", static_cast<int>(len), static_cast<int>(j), alpha, q.data() + r0,
              static_cast<int>(q.rows()), x, beta, y);
    return;
  }
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  const auto block = q.block(r0, 0, len, j);
  Eigen::Map<Vector> yv(y, trans ? j : len);
  if (trans)
    yv = beta * yv + alpha * (block.transpose() * Eigen::Map<const Vector>(x, len));
  else
    yv = beta * yv + alpha * (block * Eigen::Map<const Vector>(x, j));
}

// Rows per block of the fused update-and-project sweep: about 1 MiB of basis, which stays in
// cache between the block's two GEMVs.
Eigen::Index sweep_rows(Eigen::Index j, std::size_t scalar_bytes) {
  return std::max<Eigen::Index>(1024, static_cast<Eigen::Index>((std::size_t(1) << 20) / (scalar_bytes * static_cast<std::size_t>(j))));
}

// Classical Gram-Schmidt with `passes` passes against the first j columns of an fp64 basis
// (Golub & Van Loan 10.3.1; two passes: "twice is enough"): h_1 = Q^T w, then per further pass
// w -= Q h_k and h_{k+1} = Q^T w, and last w -= Q h_passes. The update of one pass and the
// projection of the next run together over blocks of rows, so each block is read from memory
// once for both: Q_j is read passes + 1 times (8 (passes + 1) j P bytes) instead of 2 passes
// times. Returns the sum over the passes of the last coefficient h_k[j - 1] (alpha_j in the fused
// Arnoldi form); `h` and `hnext` are workspaces of at least j entries.
double cgs(const Basis64& q, Eigen::Index j, int passes, VectorRef w, Eigen::VectorXd& h, Eigen::VectorXd& hnext) {
  const Eigen::Index p = q.rows();
  gemv(true, q, 0, p, j, 1.0, w.data(), 0.0, h.data());
  double last = h[j - 1];
  const Eigen::Index rows = sweep_rows(j, sizeof(double));
  for (int pass = 1; pass < passes; ++pass) {
    hnext.head(j).setZero();
    for (Eigen::Index r0 = 0; r0 < p; r0 += rows) {
      const Eigen::Index len = std::min(rows, p - r0);
      gemv(false, q, r0, len, j, -1.0, h.data(), 1.0, w.data() + r0);
      gemv(true, q, r0, len, j, 1.0, w.data() + r0, 1.0, hnext.data());
    }
    h.head(j).swap(hnext.head(j));
    last += h[j - 1];
  }
  gemv(false, q, 0, p, j, -1.0, h.data(), 1.0, w.data());
  return last;
}

// The same against an fp32 basis, on a float copy wf of w: the passes run on wf in the same fused
// sweeps as the fp64 form, their coefficients summed in h, and w itself is updated once, w -= Q_j h
// (the projections are accurate to fp32 rounding, the level of that basis; alpha and beta stay
// fp64). Q_j is read passes + 1 times (4 (passes + 1) j P bytes); w is read twice and written once.
void cgs(const Basis32& q, Eigen::Index j, int passes, VectorRef w) {
  thread_local Eigen::VectorXf wf, hf, hn, htotal;
  const Eigen::Index p = q.rows();
  wf = w.cast<float>();
  hf.resize(j);
  hn.resize(j);
  gemv(true, q, 0, p, j, 1.0f, wf.data(), 0.0f, hf.data());
  htotal = hf;
  const Eigen::Index rows = sweep_rows(j, sizeof(float));
  for (int pass = 1; pass < passes; ++pass) {
    hn.setZero();
    for (Eigen::Index r0 = 0; r0 < p; r0 += rows) {
      const Eigen::Index len = std::min(rows, p - r0);
      gemv(false, q, r0, len, j, -1.0f, hf.data(), 1.0f, wf.data() + r0);
      gemv(true, q, r0, len, j, 1.0f, wf.data() + r0, 1.0f, hn.data());
    }
    hf.swap(hn);
    htotal += hf;
  }
  gemv(false, q, 0, p, j, 1.0f, htotal.data(), 0.0f, wf.data());
  w -= wf.cast<double>();
}

// y = Q_j s for a stored basis (fp64 or fp32).
Eigen::MatrixXd basis_times(const Basis64& q64, const Basis32& q32, BasisStorage storage,
                            Eigen::Index j, const Eigen::MatrixXd& s) {
  if (storage == BasisStorage::Fp64) return q64.leftCols(j) * s;
  Eigen::MatrixXd y(q32.rows(), s.cols());
  constexpr Eigen::Index kChunk = 1024;
  for (Eigen::Index r0 = 0; r0 < q32.rows(); r0 += kChunk) {
    const Eigen::Index len = std::min(kChunk, q32.rows() - r0);
    y.middleRows(r0, len).noalias() = q32.block(r0, 0, len, j).cast<double>() * s;
  }
  return y;
}


// Selective reorthogonalisation (Parlett & Scott 1979): after step j, lock the Ritz vectors of
// T_j whose residual bound beta_j |s_{j,i}| has fallen below sqrt(eps) ||T_j|| (the directions
// along which orthogonality is lost, Paige 1980), then orthogonalise w twice against every locked
// vector. A Ritz value already locked is recognised by its value (its ghosts are what this
// suppresses). Cost per step: an m x m tridiagonal eigensolve, plus P j per newly locked vector
// and 4 P per locked vector.
class SelectiveLocks {
 public:
  void apply(const LanczosResult& r, double tnorm, const Basis64& q64, const Basis32& q32,
             BasisStorage storage, VectorRef w) {
    const double sqrt_eps = std::sqrt(kEps);
    const double bj = w.norm();
    const auto jj = static_cast<Eigen::Index>(r.alpha.size());
    const Eigen::Map<const Eigen::VectorXd> av(r.alpha.data(), jj);
    const Eigen::Map<const Eigen::VectorXd> bv(r.beta.data(), jj - 1);
    const TridiagonalEigen e = tridiagonal_eigen(av, bv);
    const double level = sqrt_eps * std::max(tnorm, bj);
    for (Eigen::Index i = 0; i < jj; ++i) {
      if (bj * std::fabs(e.vectors(jj - 1, i)) > level) continue;
      const double th = e.values[i];
      bool known = false;
      for (double lt : theta_)
        if (std::fabs(lt - th) <= level) known = true;
      if (known) continue;
      Eigen::VectorXd y = basis_times(q64, q32, storage, jj, e.vectors.col(i));
      for (const auto& z : locked_) y -= z.dot(y) * z;
      const double yn = y.norm();
      if (!(yn > 0.5)) continue;  // numerically in the span of locked vectors already
      locked_.push_back(y / yn);
      theta_.push_back(th);
    }
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& z : locked_) w -= z.dot(w) * z;
  }
  std::size_t size() const { return locked_.size(); }

 private:
  std::vector<Eigen::VectorXd> locked_;
  std::vector<double> theta_;
};

// After a breakdown (an invariant subspace of the first `cols` basis vectors): a fresh Gaussian
// vector continuing `rng` (the start vector's stream), orthogonalised twice against the basis, in
// w. Returns its norm (lanczos_restart_usable decides whether it is kept).
double fresh_orthogonal_direction(RandomStream& rng, const Basis64& q64, const Basis32& q32, BasisStorage storage,
                                  Eigen::Index cols, VectorRef w, Eigen::VectorXd& h, Eigen::VectorXd& hnext) {
  rng.fill_normal(w.data(), static_cast<std::size_t>(w.size()));
  if (storage == BasisStorage::Fp64)
    cgs(q64, cols, 2, w, h, hnext);
  else
    cgs(q32, cols, 2, w);
  return w.norm();
}

// The Krylov space of spectral::Lanczos: basis, q_j, q_{j-1} and w in host memory (the
// KrylovSpace of lanczos_recurrence.hpp); q_j, q_{j-1} and w are the three columns of `work`,
// memory kept across runs as the basis's is (krylov_basis.hpp). Reorthogonalisation: fused CGS
// against the fp64 basis, CGS against the fp32 basis, selective, or none.
class HostKrylovSpace {
 public:
  using Vector = Eigen::Map<Eigen::VectorXd>;
  HostKrylovSpace(OperatorRef op, const LanczosOptions& o, Basis64 q64, Basis32 q32, Basis64 work, Eigen::Index m)
      : op_(op), o_(o), q64_(q64), q32_(q32), rows_(op.rows()), q_(work.col(0).data()),
        qprev_(work.col(1).data()), w_(work.col(2).data()), h_(m), hnext_(m) {
    vec(qprev_).setZero();
  }

  Vector q() { return vec(q_); }
  void store(Eigen::Index j, const Vector& q) {
    if (o_.storage == BasisStorage::Fp64) q64_.col(j) = q;
    if (o_.storage == BasisStorage::Fp32) q32_.col(j) = q.cast<float>();
  }

  bool fused() const { return o_.reorth == Reorthogonalization::Full && o_.storage == BasisStorage::Fp64; }
  void apply(Eigen::Index j) { op_.apply(fused() ? q64_.col(j).data() : q_, w_); }
  void wait() {}
  double project(Eigen::Index cols, int passes) { return cgs(q64_, cols, passes, vec(w_), h_, hnext_); }
  double dot_qw() { return vec(q_).dot(vec(w_)); }
  void subtract_three_term(double a, double b) { vec(w_).noalias() -= a * vec(q_) + b * vec(qprev_); }
  void reorthogonalize(Eigen::Index cols, LanczosResult& r, double tnorm) {
    if (o_.reorth == Reorthogonalization::Full) {
      cgs(q32_, cols, o_.passes, vec(w_));
    } else if (o_.reorth == Reorthogonalization::Selective) {
      selective_.apply(r, tnorm, q64_, q32_, o_.storage, vec(w_));
      r.locked_vectors = selective_.size();
    }
  }
  double norm_w() { return vec(w_).norm(); }
  double fresh_direction(RandomStream& rng, Eigen::Index cols) {
    return fresh_orthogonal_direction(rng, q64_, q32_, o_.storage, cols, vec(w_), h_, hnext_);
  }
  void advance(Eigen::Index next, double scale) {
    if (fused()) {
      q64_.col(next) = vec(w_) / scale;
      return;
    }
    std::swap(qprev_, q_);
    vec(q_) = vec(w_) / scale;
    store(next, vec(q_));
  }

 private:
  Vector vec(double* x) const { return Vector(x, rows_); }
  OperatorRef op_;
  const LanczosOptions& o_;
  Basis64 q64_;
  Basis32 q32_;
  Eigen::Index rows_;
  double* q_;
  double* qprev_;
  double* w_;
  Eigen::VectorXd h_, hnext_;
  SelectiveLocks selective_;
};

}  // namespace

void lanczos_start(const LanczosOptions& o, const double* given, Eigen::Ref<Eigen::VectorXd> q, RandomStream& rng) {
  if (o.start == StartVector::Given) {
    q = Eigen::Map<const Eigen::VectorXd>(given, q.size());
  } else {
    if (o.start == StartVector::Rademacher)
      rng.fill_rademacher(q.data(), static_cast<std::size_t>(q.size()));
    else
      rng.fill_normal(q.data(), static_cast<std::size_t>(q.size()));
  }
  const double nrm = q.norm();
  if (!(nrm > 0) || !std::isfinite(nrm))
    throw InvalidInput("Lanczos::compute: the start vector has norm " + std::to_string(nrm) +
                       ", but must have a positive finite norm.");
  q /= nrm;
}

bool lanczos_converged_now(const std::vector<double>& alpha, const std::vector<double>& beta,
                           const LanczosOptions& o, std::size_t max_steps, double tnorm) {
  const std::size_t m = alpha.size(), top = o.converge_top, bottom = o.converge_bottom;
  if (top + bottom == 0 || (m % o.check_interval != 0 && m != max_steps)) return false;
  if (top + bottom > m) return false;
  const Eigen::Map<const Eigen::VectorXd> a(alpha.data(), static_cast<Eigen::Index>(m));
  const Eigen::Map<const Eigen::VectorXd> b(beta.data(), static_cast<Eigen::Index>(m - 1));
  const TridiagonalEigen e = tridiagonal_eigen(a, b);
  const double bm = std::fabs(beta[m - 1]);
  const double floor = std::pow(kEps, 2.0 / 3.0) * tnorm;
  auto ok = [&](Eigen::Index i) {
    return bm * std::fabs(e.vectors(static_cast<Eigen::Index>(m - 1), i)) <=
           o.tol * std::max(std::fabs(e.values[i]), floor);
  };
  for (std::size_t k = 0; k < top; ++k)
    if (!ok(static_cast<Eigen::Index>(m - 1 - k))) return false;
  for (std::size_t k = 0; k < bottom; ++k)
    if (!ok(static_cast<Eigen::Index>(k))) return false;
  return true;
}

bool lanczos_restart_usable(double norm, Eigen::Index rows) {
  return norm > 1e-8 * std::sqrt(static_cast<double>(rows));
}

void check_lanczos_options(const char* fn, const LanczosOptions& o, Eigen::Index rows, bool start_passed) {
  check_at_least(fn, "operator rows", rows, Eigen::Index(1));
  check_at_least(fn, "steps", o.steps, std::size_t(1));
  check_bounded(fn, "passes", o.passes, 1, 3);
  check_nonnegative(fn, "breakdown_tol", o.breakdown_tol);
  check_nonnegative(fn, "tol", o.tol);
  check_at_least(fn, "check_interval", o.check_interval, std::size_t(1));
  if (o.storage == BasisStorage::None && o.reorth != Reorthogonalization::None)
    throw InvalidInput(std::string(fn) + ": reorth is " + to_string(o.reorth) +
                       ", but with storage none (no stored basis) it must be none.");
  if (o.start == StartVector::Given && !start_passed)
    throw InvalidInput(std::string(fn) + ": start is given, but no start vector was passed.");
}

LanczosResult lanczos_result_for(const LanczosOptions& o, Eigen::Index rows) {
  LanczosResult r;
  r.dimension = static_cast<std::size_t>(rows);
  r.reorth = o.reorth;
  r.reorth_passes = o.reorth == Reorthogonalization::Full ? o.passes : (o.reorth == Reorthogonalization::Selective ? 2 : 0);
  r.storage = o.storage;
  r.start = o.start;
  r.seed = o.seed;
  r.stream = o.stream;
  r.tol = o.converge_top + o.converge_bottom > 0 ? o.tol : 0.0;
  const auto m = std::min(o.steps, static_cast<std::size_t>(rows));
  r.alpha.reserve(m);
  r.beta.reserve(m);
  return r;
}

std::vector<std::size_t> lanczos_vector_selection(const LanczosOptions& o, std::size_t steps) {
  std::vector<std::size_t> idx;
  for (std::size_t k = 0; k < std::min(o.vectors_bottom, steps); ++k) idx.push_back(k);
  for (std::size_t k = 0; k < std::min(o.vectors_top, steps); ++k) idx.push_back(steps - 1 - k);
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  return idx;
}

Eigen::MatrixXd lanczos_ritz(LanczosResult& r) {
  const std::size_t m = r.alpha.size();
  if (m == 0 || r.beta.size() != m)
    throw InvalidInput("lanczos_ritz: alpha has size " + std::to_string(m) + " and beta " +
                       std::to_string(r.beta.size()) + ", but both must have the same positive size.");
  const Eigen::Map<const Eigen::VectorXd> a(r.alpha.data(), static_cast<Eigen::Index>(m));
  const Eigen::Map<const Eigen::VectorXd> b(r.beta.data(), static_cast<Eigen::Index>(m - 1));
  TridiagonalEigen e = tridiagonal_eigen(a, b);
  r.ritz_values.assign(e.values.data(), e.values.data() + m);
  r.weights.resize(m);
  r.residuals.resize(m);
  const double bm = std::fabs(r.beta[m - 1]);
  for (std::size_t i = 0; i < m; ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    r.weights[i] = e.vectors(0, ii) * e.vectors(0, ii);
    r.residuals[i] = bm * std::fabs(e.vectors(static_cast<Eigen::Index>(m - 1), ii));
  }
  return std::move(e.vectors);
}

Lanczos& Lanczos::compute_ref(OperatorRef op, const double* start) {
  const auto t_begin = Clock::now();
  const char* fn = "Lanczos::compute";
  const LanczosOptions& o = options_;
  const Eigen::Index p = op.rows();
  check_lanczos_options(fn, o, p, start != nullptr);
  const Eigen::Index m = std::min<Eigen::Index>(static_cast<Eigen::Index>(o.steps), p);

  result_ = lanczos_result_for(o, p);
  LanczosResult& r = result_;
  reserve_basis(p, m);
  work_.resize(p, 3);

  HostKrylovSpace space(op, o, basis64_.view(), basis32_.view(), work_.view(), m);
  RandomStream rng(o.seed, o.stream);
  lanczos_start(o, start, space.q(), rng);
  space.store(0, space.q());
  lanczos_recurrence(space, o, m, rng, r, fn);

  keep_basis_columns(static_cast<Eigen::Index>(r.steps));
  ritz_vectors_from(op, start, lanczos_ritz(r));
  r.wall_seconds = seconds_since(t_begin);
  return *this;
}

// The basis for m columns of length p in the options' storage, in huge-page-backed memory
// (spectral/krylov_basis.hpp); the memory of a previous compute() is reused when large enough.
void Lanczos::reserve_basis(Eigen::Index p, Eigen::Index m) {
  if (options_.storage == BasisStorage::Fp64) basis64_.resize(p, m); else basis64_.release();
  if (options_.storage == BasisStorage::Fp32) basis32_.resize(p, m); else basis32_.release();
}

// After an early stop: only the columns used.
void Lanczos::keep_basis_columns(Eigen::Index steps) {
  basis64_.keep_columns(steps);
  basis32_.keep_columns(steps);
}

// The wanted Ritz vectors Q_m s_i (lanczos_vector_selection) from the eigenvectors `s` of T_m:
// one product with the stored basis (2 P m k flops), or without a basis a second run of the
// recurrence that accumulates y += q_j s_j (m more operator applications; an exact replay for a
// deterministic operator, Golub & Van Loan 10.1.4).
void Lanczos::ritz_vectors_from(OperatorRef op, const double* start, const Eigen::MatrixXd& s) {
  const LanczosOptions& o = options_;
  LanczosResult& r = result_;
  const std::vector<std::size_t> idx = lanczos_vector_selection(o, r.steps);
  if (idx.empty()) return;
  const auto steps = static_cast<Eigen::Index>(r.steps);
  Eigen::MatrixXd ssub(steps, static_cast<Eigen::Index>(idx.size()));
  for (std::size_t c = 0; c < idx.size(); ++c) ssub.col(static_cast<Eigen::Index>(c)) = s.col(static_cast<Eigen::Index>(idx[c]));
  r.ritz_vector_indices = idx;
  if (o.storage != BasisStorage::None) {
    r.ritz_vectors = basis_times(basis64_.view(), basis32_.view(), o.storage, steps, ssub);
    return;
  }
  const Eigen::Index p = op.rows();
  Eigen::VectorXd q(p), qprev = Eigen::VectorXd::Zero(p), w(p);
  r.ritz_vectors = Eigen::MatrixXd::Zero(p, ssub.cols());
  RandomStream replay(o.seed, o.stream);
  lanczos_start(o, start, q, replay);
  for (Eigen::Index j = 0; j < steps; ++j) {
    r.ritz_vectors.noalias() += q * ssub.row(j);
    if (j + 1 == steps) break;
    const auto t0 = Clock::now();
    op.apply(q.data(), w.data());
    r.operator_seconds += seconds_since(t0);
    ++r.applications;
    const double bprev = j > 0 ? r.beta[static_cast<std::size_t>(j - 1)] : 0.0;
    w.noalias() -= r.alpha[static_cast<std::size_t>(j)] * q + bprev * qprev;
    qprev.swap(q);
    q = w / r.beta[static_cast<std::size_t>(j)];
  }
}

double Lanczos::orthogonality_loss() const {
  if (basis64_.cols() > 0) {
    const auto q = basis64_.view();
    const Eigen::MatrixXd g = q.transpose() * q;
    return (g - Eigen::MatrixXd::Identity(g.rows(), g.cols())).cwiseAbs().maxCoeff();
  }
  if (basis32_.cols() > 0) {
    const Eigen::MatrixXd q = basis32_.view().cast<double>();
    const Eigen::MatrixXd g = q.transpose() * q;
    return (g - Eigen::MatrixXd::Identity(g.rows(), g.cols())).cwiseAbs().maxCoeff();
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void Lanczos::release_basis() {
  basis64_.release();
  basis32_.release();
  work_.release();
}

}  // namespace batchrmt::spectral
