// Lanczos with the basis on the operator's device; see device_lanczos.hpp. The step follows
// spectral/lanczos.cpp's Lanczos::compute_ref line for line for full reorthogonalisation.
#include "networks/device_lanczos.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/enum_names.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"

namespace batchrmt::networks {

namespace {

using torch::Tensor;
using Clock = std::chrono::steady_clock;
using spectral::BasisStorage;
using spectral::LanczosOptions;
using spectral::LanczosResult;
using spectral::LanczosStatus;
using spectral::Reorthogonalization;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

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
  const bool want_stop = o.converge_top + o.converge_bottom > 0;
  const bool fused = o.storage == BasisStorage::Fp64;  // as in spectral/lanczos.cpp

  LanczosResult r = spectral::lanczos_result_for(o, p);
  r.alpha.reserve(static_cast<std::size_t>(m));
  r.beta.reserve(static_cast<std::size_t>(m));

  RandomStream rng(o.seed, o.stream);
  Eigen::VectorXd host(p);
  spectral::lanczos_start(o, start, host, rng);
  Tensor q = to_device(host, dev);
  Tensor qprev = torch::zeros_like(q);
  basis[0].copy_(q);
  double tnorm = 0.0;

  const auto t_loop = Clock::now();
  for (std::int64_t j = 0; j < m; ++j) {
    auto t0 = Clock::now();
    Tensor w = op.apply_on_device(fused ? basis[j] : q);
    wait_for(dev);
    r.operator_seconds += seconds_since(t0);
    ++r.applications;
    double a = 0.0;
    t0 = Clock::now();
    if (fused) {
      // CGS2 against all of Q_j including q_j and q_{j-1}: alpha_j is the q_j component of the
      // projections and the three-term subtraction is part of the GEMV.
      for (int pass = 0; pass < o.passes; ++pass) a += cgs_pass(basis, j + 1, w)[j].item<double>();
    } else {
      a = q.dot(w).item<double>();
      const double bprev = j > 0 ? r.beta[static_cast<std::size_t>(j - 1)] : 0.0;
      w.sub_(q, a).sub_(qprev, bprev);  // in place: no P-vector temporaries
      for (int pass = 0; pass < o.passes; ++pass) cgs_pass(basis, j + 1, w);
    }
    wait_for(dev);  // the fp32 passes are only queued until here
    if (!std::isfinite(a))
      throw NumericalFailure(std::string(fn) + ": the operator returned a non-finite vector at step " +
                             std::to_string(j + 1) + ".");
    r.alpha.push_back(a);
    tnorm = std::max(tnorm, std::fabs(a));
    r.reorth_seconds += seconds_since(t0);
    const double b = w.norm().item<double>();
    r.beta.push_back(b);
    tnorm = std::max(tnorm, b);
    r.steps = static_cast<std::size_t>(j + 1);
    if (!(b > o.breakdown_tol * tnorm)) {
      bool restarted = false;
      if (o.restart_on_breakdown && j + 1 < m) {
        // Invariant subspace: continue in its orthogonal complement with a fresh vector that
        // continues the start vector's stream (T_{j+1, j} = 0), as spectral::Lanczos does.
        rng.fill_normal(host.data(), static_cast<std::size_t>(p));
        w = to_device(host, dev);
        for (int pass = 0; pass < 2; ++pass) cgs_pass(basis, j + 1, w);
        const double wn = w.norm().item<double>();
        if (spectral::lanczos_restart_usable(wn, p)) {
          r.beta.back() = 0.0;
          ++r.restarts;
          qprev = q;
          q = w / wn;
          basis[j + 1].copy_(q);
          restarted = true;
        }
      }
      if (!restarted) {
        r.status = LanczosStatus::Breakdown;
        break;
      }
      continue;
    }
    if (spectral::lanczos_converged_now(r.alpha, r.beta, o, static_cast<std::size_t>(m), tnorm)) {
      r.status = LanczosStatus::Converged;
      break;
    }
    if (j + 1 < m) {
      if (fused) {
        basis[j + 1].copy_(w).div_(b);
      } else {
        qprev = q;
        q = w / b;
        basis[j + 1].copy_(q);
      }
    }
  }
  r.loop_seconds = seconds_since(t_loop);
  if (want_stop && r.status == LanczosStatus::Completed) r.status = LanczosStatus::NotConverged;

  device_ritz_vectors(basis, spectral::lanczos_ritz(r), spectral::lanczos_vector_selection(o, r.steps), dev, r);
  r.wall_seconds = seconds_since(t_begin);
  return r;
}

}  // namespace batchrmt::networks
