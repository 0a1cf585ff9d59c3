// Lanczos with the basis on the operator's device; see device_lanczos.hpp. The recurrence is
// spectral/lanczos_recurrence.hpp's, the one spectral::Lanczos runs; this file supplies the
// device's Krylov space, the basis allocation and the Ritz vectors.
#include "networks/device_lanczos.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/enum_names.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"
#include "spectral/lanczos_recurrence.hpp"

namespace batchrmt::networks {

namespace {

using torch::Tensor;
using spectral::detail::Clock;
using spectral::detail::seconds_since;
using spectral::BasisStorage;
using spectral::LanczosOptions;
using spectral::LanczosResult;
using spectral::Reorthogonalization;

// Kernel launches are asynchronous on CUDA: wait before reading a clock, so that the operator
// and reorthogonalisation times are each the work they launched.
void wait_for(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize(d.index());
}

// One classical Gram-Schmidt pass of w (float64) against the first j rows of the basis q (m x P):
// h = Q_j w; w -= Q_j^T h. An fp32 basis projects a float copy of w (accurate to fp32 rounding,
// the level of that basis), as spectral/lanczos.cpp's cgs_pass does. Returns h in float64.
// In place (addmv_, beta = 1, alpha = -1): no P-vector temporaries in the fp64 case.
Tensor cgs_pass(const Tensor& q, std::int64_t j, Tensor& w) {
  const Tensor qj = q.narrow(0, 0, j);
  if (q.scalar_type() == torch::kDouble) {
    Tensor h = torch::mv(qj, w);
    w.addmv_(qj.t(), h, /*beta=*/1.0, /*alpha=*/-1.0);
    return h;
  }
  const Tensor h = torch::mv(qj, w.to(torch::kFloat));
  w.sub_(torch::mv(qj.t(), h));  // float32 product, subtracted into float64 (type promotion)
  return h.to(torch::kDouble);
}

Tensor to_device(const Eigen::VectorXd& v, const torch::Device& d) {
  return torch::from_blob(const_cast<double*>(v.data()), {v.size()}, torch::kDouble)
      .to(d, torch::kDouble, /*non_blocking=*/false, /*copy=*/true);
}

}  // namespace

namespace {
constexpr EnumNames<LanczosBasisPlacement, 3> kPlacementNames{{{LanczosBasisPlacement::automatic, "auto"},
                                                               {LanczosBasisPlacement::host, "host"},
                                                               {LanczosBasisPlacement::device, "device"}}};
}  // namespace

LanczosBasisPlacement parse_lanczos_basis(const std::string& s, const std::string& name) {
  return parse_enum(kPlacementNames, name, s);
}
std::string to_string(LanczosBasisPlacement p) { return enum_name(kPlacementNames, p); }

LanczosBasisPlacement resolve_lanczos_basis(const CurvatureOperator& op, const LanczosOptions& o,
                                            LanczosBasisPlacement where) {
  const bool possible = o.reorth == Reorthogonalization::Full && o.storage != BasisStorage::None;
  if (where == LanczosBasisPlacement::device && !possible)
    throw InvalidInput(std::string("a device Lanczos basis needs full reorthogonalisation with a stored basis, but "
                                   "the run asks for reorthogonalisation ") +
                       spectral::to_string(o.reorth) + " with storage " + spectral::to_string(o.storage) + ".");
  if (where != LanczosBasisPlacement::automatic) return where;
  return possible && torch::Device(op.options().device).is_cuda() ? LanczosBasisPlacement::device
                                                                   : LanczosBasisPlacement::host;
}

namespace {
// The wanted Ritz vectors y_i = Q^T s_i (indices `idx` into the eigenvectors `s` of T) on the
// device, an fp32 basis widened in blocks of rows, then one copy of them to the host.
void device_ritz_vectors(const Tensor& basis, const Eigen::MatrixXd& s, const std::vector<std::size_t>& idx,
                         const torch::Device& dev, LanczosResult& r) {
  if (idx.empty()) return;
  const auto steps = static_cast<std::int64_t>(r.steps);
  const auto p = static_cast<std::int64_t>(r.dimension);
  const auto k = static_cast<std::int64_t>(idx.size());
  Eigen::MatrixXd st(k, steps);  // row c = the Ritz coefficients of vector c
  for (std::int64_t c = 0; c < k; ++c) st.row(c) = s.col(static_cast<Eigen::Index>(idx[static_cast<std::size_t>(c)])).transpose();
  // Eigen is column-major: st's storage read row-major is its transpose, steps x k.
  const Tensor coeffs = torch::from_blob(st.data(), {steps, k}, torch::kDouble).to(dev, torch::kDouble, false, true);
  const Tensor q_used = basis.narrow(0, 0, steps);
  Tensor y = torch::empty({p, k}, torch::TensorOptions().dtype(torch::kDouble).device(dev));
  constexpr std::int64_t kBlock = 1 << 18;  // widened fp32 rows: 2 MB x steps at a time
  for (std::int64_t r0 = 0; r0 < p; r0 += kBlock) {
    const std::int64_t len = std::min(kBlock, p - r0);
    y.narrow(0, r0, len).copy_(torch::mm(q_used.narrow(1, r0, len).t().to(torch::kDouble), coeffs));
  }
  const Tensor yt = y.t().contiguous().to(torch::kCPU);  // k x P: row c is Ritz vector c
  r.ritz_vectors.resize(p, k);
  std::memcpy(r.ritz_vectors.data(), yt.data_ptr<double>(), sizeof(double) * static_cast<std::size_t>(p * k));
  r.ritz_vector_indices = idx;
}
}  // namespace

namespace {
// The Krylov space of curvature_lanczos (the KrylovSpace of spectral/lanczos_recurrence.hpp):
// basis (m x P), q_j, q_{j-1} and w as tensors on the operator's device; the host sees alpha_j,
// beta_j and the CGS coefficient h_j (one scalar read, a synchronisation, each). Full
// reorthogonalisation only: fused CGS against an fp64 basis, CGS against an fp32 basis.
class DeviceKrylovSpace {
 public:
  DeviceKrylovSpace(const CurvatureOperator& op, const LanczosOptions& o, Tensor& basis, Tensor q1)
      : op_(op), o_(o), dev_(op.options().device), basis_(basis), q_(std::move(q1)), qprev_(torch::zeros_like(q_)) {
    basis_[0].copy_(q_);
  }

  bool fused() const { return o_.storage == BasisStorage::Fp64; }
  void apply(Eigen::Index j) { w_ = op_.apply_on_device(fused() ? basis_[j] : q_); }
  void wait() { wait_for(dev_); }
  double project(Eigen::Index cols, int passes) {
    double a = 0.0;
    for (int pass = 0; pass < passes; ++pass) a += cgs_pass(basis_, cols, w_)[cols - 1].item<double>();
    return a;
  }
  double dot_qw() { return q_.dot(w_).item<double>(); }
  void subtract_three_term(double a, double b) { w_.sub_(q_, a).sub_(qprev_, b); }  // in place
  void reorthogonalize(Eigen::Index cols, LanczosResult&, double) {
    for (int pass = 0; pass < o_.passes; ++pass) cgs_pass(basis_, cols, w_);
  }
  double norm_w() { return w_.norm().item<double>(); }
  double fresh_direction(RandomStream& rng, Eigen::Index cols) {
    Eigen::VectorXd host(op_.rows());
    rng.fill_normal(host.data(), static_cast<std::size_t>(host.size()));
    w_ = to_device(host, dev_);
    for (int pass = 0; pass < 2; ++pass) cgs_pass(basis_, cols, w_);
    return w_.norm().item<double>();
  }
  void advance(Eigen::Index next, double scale) {
    if (fused()) {
      basis_[next].copy_(w_).div_(scale);
      return;
    }
    qprev_ = q_;
    q_ = w_ / scale;
    basis_[next].copy_(q_);
  }

 private:
  const CurvatureOperator& op_;
  const LanczosOptions& o_;
  torch::Device dev_;
  Tensor& basis_;
  Tensor q_, qprev_, w_;
};
}  // namespace

LanczosResult curvature_lanczos(const CurvatureOperator& op, const LanczosOptions& o, LanczosBasisPlacement where,
                                const double* start, LanczosBasisPlacement* used) {
  LanczosBasisPlacement placed = resolve_lanczos_basis(op, o, where);
  Tensor basis;
  if (placed == LanczosBasisPlacement::device) {
    const std::int64_t m = std::min<std::int64_t>(static_cast<std::int64_t>(o.steps), op.rows());
    const auto type = o.storage == BasisStorage::Fp64 ? torch::kDouble : torch::kFloat;
    try {
      basis = torch::empty({m, op.rows()}, torch::TensorOptions().dtype(type).device(torch::Device(op.options().device)));
    } catch (const c10::Error& e) {
      // Out of device memory: automatic placement falls back to the host (reported in `used`);
      // an explicit `device` request fails.
      if (where == LanczosBasisPlacement::device)
        throw NumericalFailure("the Lanczos basis (" + std::to_string(m) + " x " + std::to_string(op.rows()) +
                               " entries) does not fit on " + op.options().device + "; use --lanczos-basis host, "
                               "--basis float32 or fewer steps.");
      placed = LanczosBasisPlacement::host;
    }
  }
  if (used) *used = placed;
  if (placed == LanczosBasisPlacement::host) return spectral::lanczos(op, o, start);

  const auto t_begin = Clock::now();
  const char* fn = "curvature_lanczos (device basis)";
  const std::int64_t p = op.rows();
  spectral::check_lanczos_options(fn, o, p, start != nullptr);
  const torch::Device dev(op.options().device);
  const std::int64_t m = std::min<std::int64_t>(static_cast<std::int64_t>(o.steps), p);

  LanczosResult r = spectral::lanczos_result_for(o, p);

  RandomStream rng(o.seed, o.stream);
  Eigen::VectorXd host(p);
  spectral::lanczos_start(o, start, host, rng);
  DeviceKrylovSpace space(op, o, basis, to_device(host, dev));
  spectral::lanczos_recurrence(space, o, m, rng, r, fn);

  device_ritz_vectors(basis, spectral::lanczos_ritz(r), spectral::lanczos_vector_selection(o, r.steps), dev, r);
  r.wall_seconds = seconds_since(t_begin);
  return r;
}

}  // namespace batchrmt::networks
