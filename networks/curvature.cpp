// Hessian / GGN vector products of a network over fixed data subsets (see curvature.hpp;
// docs/theory.md 5.1-5.4). The only curvature file that includes LibTorch.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "networks/curvature.hpp"
#include "networks/curvature_state.hpp"
#include "networks/torch_bridge.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/torchscript_network.hpp"
#include "networks/training.hpp"

namespace batchrmt::networks {

namespace nn = torch::nn;
using torch::Tensor;
using TensorList = std::vector<Tensor>;

using detail::CachedChunk;
using detail::is_batchnorm;
using detail::NetCopy;

namespace {

void set_policy(NetCopy& n) {
  auto& net = network(n.model);
  net.eval();  // dropout off always (docs/theory.md 5.1)
  if (n.options.batchnorm == BatchNormPolicy::train)
    for (const auto& m : net.modules(false)) {
      if (!is_batchnorm(*m)) continue;
      m->train(true);
      // Momentum 0: a train-mode forward writes running = 1 * running + 0 * batch, the same
      // values, so the buffers never move and no restore (an in-place write that would
      // invalidate a kept graph, which saves them) is needed. The copy is private anyway.
      if (auto* b2 = m->as<nn::BatchNorm2d>()) b2->options.momentum(0.0);
      if (auto* b1 = m->as<nn::BatchNorm1d>()) b1->options.momentum(0.0);
      if (auto* b3 = m->as<nn::BatchNorm3d>()) b3->options.momentum(0.0);
    }
  // A TorchScript module's BatchNorm layers keep their momentum (a constant of the export): their
  // running buffers move in this private copy, which train-mode products never read.
  if (n.options.batchnorm == BatchNormPolicy::train) train_script_batchnorm(net);
}

std::shared_ptr<NetCopy> make_copy(const Model& model, const Dataset& data, const Transform& transform,
                                   const CurvatureOptions& options) {
  auto n = std::make_shared<NetCopy>();
  n->options = options;
  const std::string device = options.device.empty() ? model.device() : checked_device(options.device);
  n->options.device = device;
  n->device = torch::Device(device);
  if (n->options.dtype == ComputeDtype::automatic)
    n->options.dtype = n->device.is_cuda() ? ComputeDtype::float32 : ComputeDtype::float64;
  n->dtype = n->options.dtype == ComputeDtype::float32 ? torch::kFloat : torch::kDouble;
  check_at_least("CurvatureOperator", "chunk_size", options.chunk_size, std::int64_t{1});
  if (data.classes() != model.spec().classes)
    throw InvalidInput("the dataset " + data.name() + " has " + std::to_string(data.classes()) +
                       " classes, but the model has " + std::to_string(model.spec().classes) + ".");
  if (data.input_shape() != model.spec().input_shape)
    throw InvalidInput("the dataset " + data.name() + " has inputs of another shape than the model " +
                       model.spec().describe() + ".");
  n->model = Model::create(model.spec(), device);
  {
    torch::NoGradGuard ng;
    auto src_p = network(model).named_parameters(true);
    auto dst_p = network(n->model).named_parameters(true);
    for (auto& item : dst_p) {
      const Tensor* s = src_p.find(item.key());
      if (!s) throw InvalidInput("the model copy has no parameter " + item.key() + ".");
      item.value().set_data(s->detach().to(n->device, n->dtype).clone());
    }
    auto src_b = network(model).named_buffers(true);
    auto dst_b = network(n->model).named_buffers(true);
    for (auto& item : dst_b) {
      const Tensor* s = src_b.find(item.key());
      if (!s) continue;
      const auto dt = s->is_floating_point() ? n->dtype : s->scalar_type();
      item.value().set_data(s->detach().to(n->device, dt).clone());
    }
  }
  n->has_batchnorm = n->model.has_batchnorm();
  set_policy(*n);
  n->data = data;
  n->transform = transform;
  if (transform.augment) throw InvalidInput("curvature needs the test-time transform, but augmentation is on.");
  const auto all = model_parameters(n->model);
  const auto infos = n->model.parameters();
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    bool keep = options.layers.empty();
    for (const auto& prefix : options.layers)
      if (infos[i].name.compare(0, prefix.size(), prefix) == 0) keep = true;
    if (!keep) continue;
    n->params.push_back(all[i]);
    ParameterInfo info = infos[i];
    info.offset = offset;
    offset += info.numel;
    n->infos.push_back(info);
  }
  if (n->params.empty())
    throw InvalidInput("--layers selects no parameter of " + model.spec().describe() + " (names such as " +
                       (infos.empty() ? std::string("?") : infos.front().name) + ").");
  n->P = offset;
  return n;
}

void make_chunks(CurvatureOperator::State& s) {
  const auto cs = static_cast<std::size_t>(s.net->options.chunk_size);
  s.chunks.clear();
  for (std::size_t b = 0; b < s.indices.size(); b += cs) s.chunks.emplace_back(b, std::min(s.indices.size(), b + cs));
  const auto reuse = s.net->options.reuse;
  s.reuse = reuse == GraphReuse::always || (reuse == GraphReuse::automatic && s.chunks.size() == 1);
  s.cache.clear();
}

std::vector<std::size_t> slice(const std::vector<std::size_t>& v, std::size_t b, std::size_t e) {
  return std::vector<std::size_t>(v.begin() + static_cast<std::ptrdiff_t>(b), v.begin() + static_cast<std::ptrdiff_t>(e));
}

// Forward of a chunk (logits) in the compute dtype.
Tensor forward(const NetCopy& n, const std::vector<std::size_t>& idx) {
  auto x = make_inputs(n.data, idx, n.transform, n.device).to(n.dtype);
  return network(n.model).forward(x);
}

Tensor mean_loss(const NetCopy& n, const Tensor& logits, const std::vector<std::size_t>& idx) {
  const auto y = make_targets(n.data, idx, n.device);
  if (n.options.loss == LossKind::cross_entropy) return torch::nn::functional::cross_entropy(logits, y);
  const auto onehot = torch::one_hot(y, logits.size(1)).to(logits.scalar_type());
  return 0.5 * (logits - onehot).pow(2).sum(1).mean();
}

// Splits a flat tensor (length P) into views shaped like the parameters.
TensorList split_like(const NetCopy& n, const Tensor& flat) {
  TensorList out;
  out.reserve(n.params.size());
  for (std::size_t i = 0; i < n.params.size(); ++i)
    out.push_back(flat.narrow(0, n.infos[i].offset, n.infos[i].numel).view(n.params[i].sizes()));
  return out;
}

// Flat float64 concatenation; undefined pieces (parameters the output does not depend on) are 0.
Tensor flat64(const NetCopy& n, const TensorList& pieces) {
  TensorList flat;
  flat.reserve(pieces.size());
  for (std::size_t i = 0; i < pieces.size(); ++i)
    flat.push_back(pieces[i].defined() ? pieces[i].reshape({-1})
                                       : torch::zeros({n.infos[i].numel}, torch::TensorOptions().dtype(n.dtype).device(n.device)));
  // One concatenation in the compute dtype, then one cast (float32 -> float64 is exact).
  return torch::cat(flat).to(torch::kDouble);
}

// out (flat float64, length P, on the device of the pieces) = w * pieces (first) or += w * pieces:
// the cast out, one pass per piece straight into `out`, no flat intermediate.
void accumulate(const NetCopy& n, const TensorList& pieces, const Tensor& out, double w, bool first) {
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    Tensor dst = out.narrow(0, n.infos[i].offset, n.infos[i].numel);
    if (!pieces[i].defined()) {
      if (first) dst.zero_();
      continue;
    }
    const Tensor src = pieces[i].reshape({-1});
    if (first) {
      dst.copy_(src);  // casts to float64 in the copy
      if (w != 1.0) dst.mul_(w);
    } else {
      dst.add_(src, w);
    }
  }
}

// grad(outputs . grad_outputs, params), skipping outputs that carry no graph.
TensorList vjp(const NetCopy& n, const TensorList& outputs, const TensorList& grad_outputs, bool retain) {
  TensorList outs, gos;
  for (std::size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].defined() && outputs[i].requires_grad()) {
      outs.push_back(outputs[i]);
      gos.push_back(grad_outputs[i]);
    }
  if (outs.empty()) return TensorList(n.params.size());
  return torch::autograd::grad(outs, n.params, gos, retain, /*create_graph=*/false, /*allow_unused=*/true);
}

// The products of one chunk's (mean-loss) Hessian or GGN with each of `vs` (flat, compute dtype),
// returned flat in float64. Builds the chunk's graph unless `cached` holds a current one.
// With a `sink`, each product is handed over as the per-parameter pieces LibTorch returns
// (undefined: zero) instead of being flattened, and nothing is returned.
using PieceSink = std::function<void(const TensorList&)>;
TensorList chunk_products(const NetCopy& n, CurvatureKind kind, const std::vector<std::size_t>& idx,
                          const TensorList& vs, CachedChunk* cached, const PieceSink& sink = {}) {
  torch::AutoGradMode grad_on(true);  // whatever the caller's grad mode
  CachedChunk local;
  CachedChunk& c = cached ? *cached : local;
  const bool build = !cached || c.generation != *n.generation || (kind == CurvatureKind::hessian ? c.grads.empty() : !c.logits.defined());
  if (build) {
    c = CachedChunk{};
    c.generation = *n.generation;
    const Tensor logits = forward(n, idx);
    if (kind == CurvatureKind::hessian) {
      const Tensor loss = mean_loss(n, logits, idx);
      c.grads = torch::autograd::grad({loss}, n.params, {}, /*retain_graph=*/true, /*create_graph=*/true,
                                      /*allow_unused=*/true);
    } else {
      c.logits = logits;
      c.u = torch::zeros_like(logits).requires_grad_(true);
      c.jtu = torch::autograd::grad({logits}, n.params, {c.u}, true, true, true);
      if (n.options.loss == LossKind::cross_entropy) c.probs = torch::softmax(logits.detach(), 1);
    }
  }
  TensorList out;
  const double inv_n = 1.0 / static_cast<double>(idx.size());
  for (std::size_t j = 0; j < vs.size(); ++j) {
    // Keep the graph for the next vector or the cache; the last product of an uncached graph
    // frees its buffers as the backward goes (as the raw-LibTorch control does).
    const bool retain = cached || j + 1 < vs.size();
    const auto vp = split_like(n, vs[j]);
    if (kind == CurvatureKind::hessian) {
      TensorList hv = vjp(n, c.grads, vp, retain);
      if (sink) {
        sink(hv);
        continue;
      }
      out.push_back(flat64(n, hv));
    } else {
      TensorList jtu, vv;
      for (std::size_t i = 0; i < c.jtu.size(); ++i)
        if (c.jtu[i].defined() && c.jtu[i].requires_grad()) {
          jtu.push_back(c.jtu[i]);
          vv.push_back(vp[i]);
        }
      Tensor jv = torch::autograd::grad(jtu, {c.u}, vv, true, false, true)[0];  // n x C: J v
      if (!jv.defined()) jv = torch::zeros_like(c.logits);
      Tensor m;
      if (n.options.loss == LossKind::cross_entropy)
        m = c.probs * jv - c.probs * (c.probs * jv).sum(1, true);  // (diag p - p p^T) J v
      else
        m = jv;
      m = m * inv_n;  // mean loss
      TensorList gv = torch::autograd::grad({c.logits}, n.params, {m}, retain, false, true);
      if (sink) {
        sink(gv);
        continue;
      }
      out.push_back(flat64(n, gv));
    }
  }
  return out;
}

Tensor to_compute(const NetCopy& n, const double* x) {
  return torch::from_blob(const_cast<double*>(x), {n.P}, torch::kDouble).to(n.device, n.dtype);
}

void to_host(const Tensor& t, double* y) {
  const auto c = t.to(torch::kCPU, torch::kDouble).contiguous();
  std::copy(c.data_ptr<double>(), c.data_ptr<double>() + c.numel(), y);
}

// out = sum over the chunks [first, last) of (|c| / |S|) HVP_c(v) (docs/theory.md 5.4): `out` is flat
// float64 (length P) on the operator's device, v flat in the compute dtype there. Each chunk's
// product is cast into `out` piece by piece (one chunk: a plain copy, the only cast out).
void chunk_sum(CurvatureOperator::State& s, const Tensor& v, std::size_t first, std::size_t last, const Tensor& out) {
  const NetCopy& n = *s.net;
  const std::size_t C = s.chunks.size();
  if (s.reuse && s.cache.size() != C) s.cache.assign(C, CachedChunk{});
  const double total = static_cast<double>(s.indices.size());
  const TensorList vs{v};
  for (std::size_t c = first; c < last; ++c) {
    const auto [b, e] = s.chunks[c];
    const double w = C > 1 ? static_cast<double>(e - b) / total : 1.0;
    chunk_products(n, s.kind, slice(s.indices, b, e), vs, s.reuse ? &s.cache[c] : nullptr,
                   [&](const TensorList& pieces) { accumulate(n, pieces, out, w, c == first); });
  }
}

// x (float64, host, length P) in the compute dtype on the device: the one cast in, into the
// state's buffer; float64 on the CPU wraps x without a copy (LibTorch only reads it) unless x
// overlaps the output y (which the products are written into).
Tensor input_view(CurvatureOperator::State& s, const double* x, const double* y) {
  const NetCopy& n = *s.net;
  const Tensor host = torch::from_blob(const_cast<double*>(x), {n.P}, torch::kDouble);
  const bool overlap = x < y + n.P && y < x + n.P;
  if (n.device.is_cpu() && n.dtype == torch::kDouble && !overlap) return host;
  if (!s.x_compute.defined()) s.x_compute = torch::empty({n.P}, torch::TensorOptions().dtype(n.dtype).device(n.device));
  s.x_compute.copy_(host);
  return s.x_compute;
}

// The caller's y (float64, host) as the product's destination: y itself on the CPU, else the
// state's device buffer (copied out by finish_output).
Tensor output_view(CurvatureOperator::State& s, double* y) {
  const NetCopy& n = *s.net;
  if (n.device.is_cpu()) return torch::from_blob(y, {n.P}, torch::kDouble);
  if (!s.y_device.defined()) s.y_device = torch::empty({n.P}, torch::TensorOptions().dtype(torch::kDouble).device(n.device));
  return s.y_device;
}
void finish_output(CurvatureOperator::State& s, double* y) {
  if (s.net->device.is_cpu()) return;
  torch::from_blob(y, {s.net->P}, torch::kDouble).copy_(s.y_device);
}

}  // namespace

// ---------------------------------------------------------------- CurvatureOperator

CurvatureOperator::CurvatureOperator(const Model& model, const Dataset& data, const Transform& transform,
                                     std::vector<std::size_t> indices, const CurvatureOptions& options) {
  if (!model) throw InvalidInput("CurvatureOperator: the model is empty.");
  keep_tensor_memory_in_process();  // products reuse freed memory instead of faulting in fresh pages
  s_ = std::make_shared<State>();
  s_->net = make_copy(model, data, transform, options);
  s_->kind = options.kind;
  if (indices.empty()) throw InvalidInput("CurvatureOperator: the index set is empty, but must hold samples.");
  for (auto i : indices)
    if (i >= data.size())
      throw InvalidInput("CurvatureOperator: index " + std::to_string(i) + " is outside the dataset of " +
                         std::to_string(data.size()) + " items.");
  s_->indices = std::move(indices);
  make_chunks(*s_);
}

Eigen::Index CurvatureOperator::rows() const { return s_ ? static_cast<Eigen::Index>(s_->net->P) : 0; }

void CurvatureOperator::apply(const double* x, double* y) const { apply_shard(x, y, 0, 1); }

void CurvatureOperator::apply_shard(const double* x, double* y, int shard, int shards) const {
  check_at_least("CurvatureOperator::apply_shard", "shards", shards, 1);
  if (shard < 0 || shard >= shards)
    throw InvalidInput("CurvatureOperator::apply_shard: shard is " + std::to_string(shard) + ", but must be in [0, " +
                       std::to_string(shards) + ").");
  const auto t0 = std::chrono::steady_clock::now();
  const NetCopy& n = *s_->net;
  const std::size_t C = s_->chunks.size();
  const std::size_t first = C * static_cast<std::size_t>(shard) / static_cast<std::size_t>(shards);
  const std::size_t last = C * static_cast<std::size_t>(shard + 1) / static_cast<std::size_t>(shards);
  if (first == last) {
    std::fill(y, y + n.P, 0.0);
    return;
  }
  chunk_sum(*s_, input_view(*s_, x, y), first, last, output_view(*s_, y));
  finish_output(*s_, y);
  ++s_->applications;
  s_->seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Tensor CurvatureOperator::apply_on_device(const Tensor& x) const {
  const NetCopy& n = *s_->net;
  if (x.dim() != 1 || x.size(0) != n.P)
    throw InvalidInput("CurvatureOperator::apply_on_device: x has " + std::to_string(x.numel()) + " entries in " +
                       std::to_string(x.dim()) + " dimension(s), but must be a vector of " + std::to_string(n.P) + ".");
  const auto t0 = std::chrono::steady_clock::now();
  Tensor y = torch::empty({n.P}, torch::TensorOptions().dtype(torch::kDouble).device(n.device));
  chunk_sum(*s_, x.to(n.device, n.dtype), 0, s_->chunks.size(), y);
  if (n.device.is_cuda()) torch::cuda::synchronize(n.device.index());  // seconds comparable with apply()
  ++s_->applications;
  s_->seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return y;
}

Eigen::VectorXd CurvatureOperator::apply(const Eigen::VectorXd& x) const {
  check_size_match("CurvatureOperator::apply", "x", static_cast<std::size_t>(x.size()), "the operator",
                   static_cast<std::size_t>(rows()));
  Eigen::VectorXd y(rows());
  apply(x.data(), y.data());
  return y;
}

CurvatureOperator CurvatureOperator::with_indices(std::vector<std::size_t> indices) const {
  if (indices.empty()) throw InvalidInput("CurvatureOperator: the index set is empty, but must hold samples.");
  for (auto i : indices)
    if (i >= s_->net->data.size())
      throw InvalidInput("CurvatureOperator: index " + std::to_string(i) + " is outside the dataset of " +
                         std::to_string(s_->net->data.size()) + " items.");
  CurvatureOperator o;
  o.s_ = std::make_shared<State>();
  o.s_->net = s_->net;
  o.s_->kind = s_->kind;
  o.s_->indices = std::move(indices);
  make_chunks(*o.s_);
  return o;
}

CurvatureOperator CurvatureOperator::with_kind(CurvatureKind kind) const {
  CurvatureOperator o = with_indices(s_->indices);
  o.s_->kind = kind;
  return o;
}

CurvatureOperator CurvatureOperator::with_chunk_size(std::int64_t chunk_size) const {
  check_at_least("CurvatureOperator::with_chunk_size", "chunk_size", chunk_size, std::int64_t{1});
  auto net = std::make_shared<NetCopy>(*s_->net);  // shares the module; only the options differ
  net->options.chunk_size = chunk_size;
  CurvatureOperator o;
  o.s_ = std::make_shared<State>();
  o.s_->net = net;
  o.s_->kind = s_->kind;
  o.s_->indices = s_->indices;
  make_chunks(*o.s_);
  return o;
}

const ModelSpec& CurvatureOperator::model_spec() const { return s_->net->model.spec(); }
std::size_t CurvatureOperator::samples() const { return s_->indices.size(); }
const std::vector<std::size_t>& CurvatureOperator::indices() const { return s_->indices; }
const CurvatureOptions& CurvatureOperator::options() const { return s_->net->options; }
std::size_t CurvatureOperator::dataset_size() const { return s_->net->data.size(); }
int CurvatureOperator::classes() const { return s_->net->data.classes(); }
std::vector<ParameterInfo> CurvatureOperator::parameters() const { return s_->net->infos; }

std::vector<double> CurvatureOperator::weights() const {
  torch::NoGradGuard ng;
  std::vector<double> w(static_cast<std::size_t>(s_->net->P));
  to_host(flatten(s_->net->params), w.data());
  return w;
}

double CurvatureOperator::loss() const {
  const NetCopy& n = *s_->net;
  torch::NoGradGuard ng;
  double acc = 0;
  for (const auto& [b, e] : s_->chunks) {
    const auto idx = slice(s_->indices, b, e);
    acc += mean_loss(n, forward(n, idx), idx).item<double>() * static_cast<double>(e - b);
  }
  return acc / static_cast<double>(s_->indices.size());
}

Eigen::VectorXd CurvatureOperator::gradient() const {
  Eigen::VectorXd out(rows());
  gradient(out.data());
  return out;
}

namespace {
// out (flat float64 on the device) = sum_c (|c| / |S|) grad_c: each chunk's gradient cast into
// `out` piece by piece (one chunk: one copy).
void gradient_into(const CurvatureOperator::State& s, const Tensor& out) {
  const NetCopy& n = *s.net;
  torch::AutoGradMode grad_on(true);
  const double total = static_cast<double>(s.indices.size());
  const std::size_t C = s.chunks.size();
  for (std::size_t c = 0; c < C; ++c) {
    const auto [b, e] = s.chunks[c];
    const auto idx = slice(s.indices, b, e);
    const Tensor loss = mean_loss(n, forward(n, idx), idx);
    accumulate(n, torch::autograd::grad({loss}, n.params, {}, false, false, true), out,
               C > 1 ? static_cast<double>(e - b) / total : 1.0, c == 0);
  }
}
}  // namespace

void CurvatureOperator::gradient(double* g) const {
  gradient_into(*s_, output_view(*s_, g));
  finish_output(*s_, g);
}

Tensor CurvatureOperator::gradient_on_device() const {
  const NetCopy& n = *s_->net;
  Tensor out = torch::empty({n.P}, torch::TensorOptions().dtype(torch::kDouble).device(n.device));
  gradient_into(*s_, out);
  return out;
}

Eigen::VectorXd CurvatureOperator::gradient_at(const Eigen::VectorXd& delta) const {
  NetCopy& n = *s_->net;
  check_size_match("CurvatureOperator::gradient_at", "delta", static_cast<std::size_t>(delta.size()),
                   "the operator", static_cast<std::size_t>(n.P));
  TensorList saved;
  {
    torch::NoGradGuard ng;
    const auto d = split_like(n, to_compute(n, delta.data()));
    for (std::size_t i = 0; i < n.params.size(); ++i) {
      saved.push_back(n.params[i].detach().clone());
      n.params[i].add_(d[i]);
    }
  }
  ++*n.generation;
  Eigen::VectorXd g;
  try {
    g = gradient();
  } catch (...) {
    torch::NoGradGuard ng;
    for (std::size_t i = 0; i < n.params.size(); ++i) n.params[i].copy_(saved[i]);
    ++*n.generation;
    throw;
  }
  {
    torch::NoGradGuard ng;
    for (std::size_t i = 0; i < n.params.size(); ++i) n.params[i].copy_(saved[i]);
  }
  ++*n.generation;
  return g;
}

void CurvatureOperator::per_sample_products(
    const std::vector<std::size_t>& samples, const std::vector<Eigen::VectorXd>& vectors,
    const std::function<void(std::size_t, std::size_t, const Eigen::VectorXd&)>& sink) const {
  const NetCopy& n = *s_->net;
  if (n.options.batchnorm == BatchNormPolicy::train && n.has_batchnorm)
    throw InvalidInput("per-sample curvature needs eval-mode BatchNorm (per-sample Hessians are undefined with "
                       "batch statistics, docs/theory.md 5.3), but the operator uses train mode.");
  TensorList vs;
  for (const auto& v : vectors) {
    check_size_match("per_sample_products", "vector", static_cast<std::size_t>(v.size()), "the operator",
                     static_cast<std::size_t>(n.P));
    vs.push_back(to_compute(n, v.data()));
  }
  Eigen::VectorXd hv(n.P);
  for (std::size_t k = 0; k < samples.size(); ++k) {
    if (samples[k] >= n.data.size())
      throw InvalidInput("per_sample_products: index " + std::to_string(samples[k]) + " is outside the dataset.");
    const auto prods = chunk_products(n, s_->kind, {samples[k]}, vs, nullptr);
    for (std::size_t j = 0; j < prods.size(); ++j) {
      to_host(prods[j], hv.data());
      sink(k, j, hv);
    }
  }
}

std::int64_t CurvatureOperator::applications() const { return s_->applications; }
double CurvatureOperator::apply_seconds() const { return s_->seconds; }
void CurvatureOperator::reset_counters() const {
  s_->applications = 0;
  s_->seconds = 0;
}

std::map<std::string, std::string> CurvatureOperator::conventions() const {
  const NetCopy& n = *s_->net;
  std::map<std::string, std::string> c;
  c["curvature"] = to_string(s_->kind);
  c["loss"] = to_string(n.options.loss) + (n.options.loss == LossKind::cross_entropy
                                               ? ": mean over the subset of -log softmax(f)_y"
                                               : ": mean over the subset of 0.5 ||f - onehot(y)||^2");
  c["weight_decay"] = "excluded";
  c["batchnorm"] = to_string(n.options.batchnorm) +
                   (n.has_batchnorm ? (n.options.batchnorm == BatchNormPolicy::eval
                                           ? ": running statistics"
                                           : ": statistics of each forward chunk (momentum 0 on a private copy: running buffers never move)")
                                    : ": (model has no BatchNorm)");
  c["dropout"] = "disabled (eval mode)";
  c["transform"] = std::string("test-time (no augmentation)") +
                   (n.transform.mean.empty() ? ", no normalisation" : ", per-channel normalisation");
  c["dtype"] = to_string(n.options.dtype) + " products, float64 accumulation and interface";
  c["chunk_size"] = std::to_string(n.options.chunk_size);
  c["chunk_rule"] = "H_S v = sum_c (|c|/|S|) HVP_c(v), float64 accumulation";
  c["graph_reuse"] = to_string(n.options.reuse);
  c["method"] = s_->kind == CurvatureKind::hessian ? "double backward (reverse-over-reverse)"
                                                   : "J^T H_out J v: JVP by the double-backward trick, then VJP";
  c["parameter_order"] = "module registration order, each tensor row-major";
  std::string layers;
  for (const auto& l : n.options.layers) layers += (layers.empty() ? "" : ",") + l;
  c["layers"] = layers.empty() ? "all" : layers;
  c["device"] = n.options.device;
  c["libtorch"] = libtorch_version();
  c["deterministic"] = n.device.is_cpu() ? "yes (CPU kernels)" : "reproducible only to float32 noise on CUDA";
  return c;
}

// ---------------------------------------------------------------- checkpoints

void recompute_batchnorm(Model& model, const Dataset& data, const Transform& transform, std::int64_t batch_size) {
  recompute_batchnorm_statistics(model, data, transform, batch_size);
}

Model load_checkpoint_model(const std::string& path, int epoch, const std::string& device) {
  return load_model_from_checkpoint(resolve_checkpoint_path(path, epoch), device);
}

}  // namespace batchrmt::networks
