// Stability trials and the batch spectrum behind the learning-rate predictions (lr_sweep.hpp).
#include "networks/lr_sweep.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <type_traits>

#include "core/checks.hpp"
#include "core/errors.hpp"
#include "core/rng.hpp"
#include "core/statistics.hpp"
#include "networks/device_lanczos.hpp"
#include "networks/epoch_steps.hpp"
#include "networks/gradient_noise.hpp"
#include "networks/torch_bridge.hpp"
#include "networks/training.hpp"
#include "spectral/lanczos.hpp"

namespace batchrmt::networks {

namespace {
constexpr EnumNames<Optimizer, 2> kSweepOptimizerNames{{{Optimizer::sgd, "sgd"}, {Optimizer::adam, "adam"}}};
}  // namespace

Optimizer parse_sweep_optimizer(const std::string& text, const std::string& what) {
  return parse_enum(kSweepOptimizerNames, what, text);
}

void LrTrialOptions::validate() const {
  const char* f = "lr-sweep";
  if (optimizer != Optimizer::sgd && optimizer != Optimizer::adam)
    throw InvalidInput("optimizer is '" + to_string(optimizer) + "', but must be " + enum_choices(kSweepOptimizerNames) + ".");
  check_nonnegative(f, "momentum", momentum);
  if (momentum >= 1.0) throw InvalidInput("momentum is " + std::to_string(momentum) + ", but must be below 1.");
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
    throw InvalidInput("adam betas are " + std::to_string(beta1) + ", " + std::to_string(beta2) +
                       ", but each must lie in [0, 1).");
  check_positive(f, "eps", eps);
  check_at_least(f, "adam_warmup", adam_warmup, 0);
  check_nonnegative(f, "weight_decay", weight_decay);
  check_at_least(f, "batch_size", batch_size, std::int64_t{1});
  check_at_least(f, "steps", steps, 1);
  if (!(divergence_factor > 1.0))
    throw InvalidInput("divergence factor is " + std::to_string(divergence_factor) + ", but must exceed 1.");
  check_at_least(f, "monitor_size", monitor_size, std::size_t{1});
  check_at_least(f, "monitor_every", monitor_every, 1);
}

std::string LrTrialOptions::serialize() const {
  std::ostringstream os;
  os.precision(17);
  os << "optimizer=" << to_string(optimizer) << ";momentum=" << momentum << ";betas=" << beta1 << "," << beta2
     << ";eps=" << eps << ";adam_warmup=" << adam_warmup << ";weight_decay=" << weight_decay
     << ";batch_size=" << batch_size << ";steps=" << steps << ";divergence_factor=" << divergence_factor
     << ";monitor_size=" << monitor_size << ";monitor_every=" << monitor_every << ";monitor_seed=" << monitor_seed;
  return os.str();
}

struct LrTrialRunner::State {
  Model model;
  Dataset data;
  Transform transform;
  LrTrialOptions options;
  std::vector<torch::Tensor> start_params, start_buffers;
  torch::Tensor monitor_x, monitor_y;
  std::int64_t trials = 0;
};

namespace {

void copy_state(const Model& from, Model& to) {
  torch::NoGradGuard g;
  auto src = network(from).named_parameters(true);
  auto dst = network(to).named_parameters(true);
  for (auto& p : dst) p.value().copy_(src[p.key()].to(p.value().device()));
  auto sb = network(from).named_buffers(true);
  auto db = network(to).named_buffers(true);
  for (auto& b : db) b.value().copy_(sb[b.key()].to(b.value().device()));
}

double monitor_loss(const LrTrialRunner::State& s) {
  auto& net = network(s.model);
  const bool was = net.is_training();
  net.eval();
  torch::NoGradGuard g;
  const double l = torch::nn::functional::cross_entropy(net.forward(s.monitor_x), s.monitor_y).item<double>();
  net.train(was);
  return l;
}

// Batches of exactly B from consecutive epoch permutations of (seed, kOrderStream + epoch).
class BatchStream {
 public:
  BatchStream(std::size_t N, std::size_t B, std::uint64_t seed) : N_(N), B_(B), seed_(seed) {}
  std::vector<std::size_t> next() {
    if (order_.empty() || pos_ + B_ > order_.size()) {
      order_ = RandomStream(seed_, kOrderStream + static_cast<std::uint64_t>(epoch_++)).permutation(N_);
      pos_ = 0;
    }
    std::vector<std::size_t> idx(order_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                 order_.begin() + static_cast<std::ptrdiff_t>(pos_ + B_));
    pos_ += B_;
    return idx;
  }

 private:
  std::size_t N_, B_;
  std::uint64_t seed_;
  int epoch_ = 0;
  std::size_t pos_ = 0;
  std::vector<std::size_t> order_;
};

}  // namespace

LrTrialRunner::LrTrialRunner(const Model& start, const Dataset& train, const Transform& transform,
                             const LrTrialOptions& options) {
  options.validate();
  if (!start) throw InvalidInput("lr-sweep: the starting model is empty.");
  if (train.size() == 0) throw InvalidInput("lr-sweep: the training set is empty.");
  if (static_cast<std::size_t>(options.batch_size) > train.size())
    throw InvalidInput("lr-sweep: batch size " + std::to_string(options.batch_size) + " exceeds the " +
                       std::to_string(train.size()) + " training items.");
  s_ = std::make_shared<State>();
  s_->model = Model::create(start.spec(), start.device());
  copy_state(start, s_->model);
  s_->data = train;
  s_->transform = transform;
  s_->transform.augment = false;
  s_->options = options;
  torch::NoGradGuard g;
  for (const auto& p : network(s_->model).parameters(true)) s_->start_params.push_back(p.detach().clone());
  for (const auto& b : network(s_->model).buffers(true)) s_->start_buffers.push_back(b.detach().clone());
  const std::size_t M = std::min(options.monitor_size, train.size());
  auto perm = RandomStream(options.monitor_seed, kMonitorStream).permutation(train.size());
  perm.resize(M);
  s_->monitor_x = make_inputs(train, perm, s_->transform, model_device(s_->model));
  s_->monitor_y = make_targets(train, perm, model_device(s_->model));
}

const LrTrialOptions& LrTrialRunner::options() const { return s_->options; }
std::int64_t LrTrialRunner::trials_run() const { return s_->trials; }

LrTrialResult LrTrialRunner::run(double lr, std::uint64_t seed) const {
  check_positive("lr-sweep", "lr", lr);
  State& s = *s_;
  const LrTrialOptions& o = s.options;
  ++s.trials;
  {
    torch::NoGradGuard g;
    auto ps = network(s.model).parameters(true);
    for (std::size_t i = 0; i < ps.size(); ++i) ps[i].copy_(s.start_params[i]);
    auto bs = network(s.model).buffers(true);
    for (std::size_t i = 0; i < bs.size(); ++i) bs[i].copy_(s.start_buffers[i]);
  }
  auto params = model_parameters(s.model);
  for (auto& p : params)
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  std::unique_ptr<torch::optim::Optimizer> opt;
  if (o.optimizer == Optimizer::sgd)
    opt = std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(lr).momentum(o.momentum).weight_decay(o.weight_decay));
  else
    opt = std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(0.0).betas(std::make_tuple(o.beta1, o.beta2)).eps(o.eps).weight_decay(
                    o.weight_decay));
  auto& net = network(s.model);
  net.train();
  const auto device = model_device(s.model);
  BatchStream batches(s.data.size(), static_cast<std::size_t>(o.batch_size), seed);
  LrTrialResult r;
  r.lr = lr;
  r.seed = seed;
  r.loss_start = monitor_loss(s);
  r.loss_end = r.loss_start;
  r.loss_max_ratio = 1.0;
  auto step = [&]() -> bool {  // false: non-finite batch loss (the step is not taken)
    const auto idx = batches.next();
    const auto x = make_inputs(s.data, idx, s.transform, device);
    const auto y = make_targets(s.data, idx, device);
    return optimizer_step(net, *opt, x, y).finite;
  };
  if (o.optimizer == Optimizer::adam) {
    // Moments at lr 0: the weights do not move (docs/theory.md §2.7 assumes v tracks E g_B^2).
    for (int k = 0; k < o.adam_warmup; ++k)
      if (!step()) {
        r.diverged = true;
        r.reason = "non-finite batch loss";
        return r;
      }
    for (auto& g : opt->param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
  }
  if (!std::isfinite(r.loss_start))
    throw NumericalFailure("lr-sweep: the monitor loss at the starting point is not finite.");
  for (int t = 0; t < o.steps; ++t) {
    if (!step()) {
      r.diverged = true;
      r.reason = "non-finite batch loss";
      r.steps = t + 1;
      return r;
    }
    r.steps = t + 1;
    if ((t + 1) % o.monitor_every == 0 || t + 1 == o.steps) {
      const double l = monitor_loss(s);
      if (!std::isfinite(l)) {
        r.diverged = true;
        r.reason = "monitor loss non-finite";
        r.loss_max_ratio = std::numeric_limits<double>::infinity();
        return r;
      }
      r.loss_max_ratio = std::max(r.loss_max_ratio, l / r.loss_start);
      if (l > o.divergence_factor * r.loss_start) {
        r.diverged = true;
        r.reason = "monitor loss > factor x start";
        r.loss_end = l;
        return r;
      }
      r.loss_end = l;
    }
  }
  return r;
}

double finite_population_kappa(std::int64_t N, std::int64_t B) {
  if (N <= 1 || B >= N) return 0.0;
  return static_cast<double>(N - B) / (static_cast<double>(B) * static_cast<double>(N - 1));
}

std::string overlap_regime(double mean_overlap) {
  if (!std::isfinite(mean_overlap)) return "unknown";
  if (mean_overlap >= 0.5) return "outlier";
  if (mean_overlap < 0.1) return "edge";
  return "ambiguous";
}

namespace {

struct Top {
  double top = 0, second = 0, residual = 0;
  Eigen::VectorXd vector;
  std::int64_t applications = 0;
};

template <class Op>
Top top_of(const Op& op, std::size_t steps, std::uint64_t seed, std::uint64_t stream, bool vector) {
  spectral::LanczosOptions lo;
  lo.steps = std::min<std::size_t>(steps, static_cast<std::size_t>(op.rows()));
  lo.start = spectral::StartVector::Gaussian;
  lo.seed = seed;
  lo.stream = stream;
  lo.restart_on_breakdown = true;
  lo.vectors_top = vector ? 1 : 0;
  spectral::LanczosResult r;
  if constexpr (std::is_same_v<Op, CurvatureOperator>)
    r = curvature_lanczos(op, lo, LanczosBasisPlacement::automatic);  // the basis on the GPU on cuda
  else
    r = spectral::lanczos(op, lo);
  Top t;
  const std::size_t m = r.ritz_values.size();
  t.top = r.ritz_values[m - 1];
  t.second = m >= 2 ? r.ritz_values[m - 2] : std::numeric_limits<double>::quiet_NaN();
  t.residual = r.residuals[m - 1];
  if (vector) t.vector = r.ritz_vectors.col(0);
  t.applications = r.applications;
  return t;
}

// x -> d^{1/2} H d^{1/2} x (docs/theory.md §2.7: the linearised Adam step alpha D H).
struct PreconditionedOperator {
  CurvatureOperator op;
  Eigen::VectorXd sqrt_d;
  Eigen::Index rows() const { return op.rows(); }
  void apply(const double* x, double* y) const {
    Eigen::VectorXd u = sqrt_d.cwiseProduct(Eigen::Map<const Eigen::VectorXd>(x, sqrt_d.size()));
    Eigen::VectorXd hu(u.size());
    op.apply(u.data(), hu.data());
    Eigen::Map<Eigen::VectorXd>(y, sqrt_d.size()) = sqrt_d.cwiseProduct(hu);
  }
};

void mean_se(const std::vector<double>& v, double& mean, double& se) {
  const SampleSummary s = summarize(v);
  mean = s.mean;
  se = s.stderr_;
}

}  // namespace

LrSpectrum measure_lr_spectrum(const Model& model, const Dataset& train, const Transform& transform,
                               const std::vector<std::int64_t>& batch_sizes, const LrSpectrumOptions& o) {
  check_at_least("lr-sweep spectrum", "subsets", o.subsets, 1);
  check_at_least("lr-sweep spectrum", "lanczos_steps", o.lanczos_steps, std::size_t{2});
  const auto t0 = std::chrono::steady_clock::now();
  auto log = [&](const std::string& m) {
    if (o.log) o.log(m);
  };
  const std::size_t N = train.size();
  std::vector<std::size_t> all(N);
  for (std::size_t i = 0; i < N; ++i) all[i] = i;
  Transform t = transform;
  t.augment = false;
  const CurvatureOperator full(model, train, t, all, o.curvature);
  LrSpectrum out;
  out.N = static_cast<std::int64_t>(N);
  out.P = static_cast<std::int64_t>(full.rows());
  out.conventions = full.conventions();
  out.conventions["lr_spectrum.lanczos_steps"] = std::to_string(o.lanczos_steps);
  out.conventions["lr_spectrum.full_lanczos_steps"] = std::to_string(o.full_lanczos_steps);
  out.conventions["lr_spectrum.subsets"] = std::to_string(o.subsets);
  out.conventions["lr_spectrum.start"] = "Gaussian, seed " + std::to_string(o.seed) + ", streams kFullLanczosStream / kBatchLanczosStream + s";
  out.conventions["lr_spectrum.regime_rule"] = "mean <phi'_B, phi>^2 >= 0.5 outlier, < 0.1 edge, else ambiguous";
  Eigen::VectorXd phi;
  if (std::isfinite(o.lambda_full_given)) {
    out.lambda_full = o.lambda_full_given;
    out.lambda_full_residual = out.second_full = std::numeric_limits<double>::quiet_NaN();
    out.conventions["lr_spectrum.lambda_full"] = "given (measured once for the checkpoint); overlap not measured";
  } else {
    log("full-data Lanczos (" + std::to_string(o.full_lanczos_steps) + " steps, N = " + std::to_string(N) +
        ", P = " + std::to_string(out.P) + ")");
    const Top ft = top_of(full, std::max<std::size_t>(o.full_lanczos_steps, 2), o.seed, kFullLanczosStream, true);
    out.lambda_full = ft.top;
    out.lambda_full_residual = ft.residual;
    out.second_full = ft.second;
    phi = ft.vector.normalized();
  }
  if (!o.plain_batch_top && !o.preconditioned)
    throw InvalidInput("lr-sweep spectrum: without the plain batch top the preconditioned one must be asked for.");

  Eigen::VectorXd gbar2, svar;
  if (o.preconditioned) {
    check_positive("lr-sweep spectrum", "eps", o.eps);
    const std::size_t M = std::min(std::max<std::size_t>(o.gradient_samples, 2), N);
    log("per-sample gradients on " + std::to_string(M) + " items (Adam's second moment)");
    const GradientNoise noise = measure_gradient_noise(full, M, o.seed, kNoiseStream);
    gbar2 = noise.mean_gradient.cwiseAbs2();
    svar = noise.variance;
    out.grad_mean_sq = gbar2.mean();
    out.grad_var = svar.mean();
    out.gradient_samples = M;
    out.conventions["lr_spectrum.preconditioner"] =
        "D = 1/(sqrt(gbar^2 + kappa_B s^2) + eps), gbar full-data gradient, s^2 per-sample variance over " +
        std::to_string(M) + " items";
  }

  for (const std::int64_t B : batch_sizes) {
    if (B < 1 || static_cast<std::size_t>(B) > N)
      throw InvalidInput("lr-sweep: batch size " + std::to_string(B) + " is outside 1.." + std::to_string(N) + ".");
    const auto tb = std::chrono::steady_clock::now();
    LrSpectrumRow row;
    row.B = B;
    row.kappa = finite_population_kappa(static_cast<std::int64_t>(N), B);
    Eigen::VectorXd sqrt_d;
    if (o.preconditioned) {
      const Eigen::VectorXd v = gbar2 + row.kappa * svar;
      sqrt_d = (v.cwiseSqrt().array() + o.eps).inverse().sqrt().matrix();
      row.noise_fraction = row.kappa * svar.sum() / v.sum();
      row.damping_ratio = o.eps / std::sqrt(v.mean());
      row.mean_d = (v.cwiseSqrt().array() + o.eps).inverse().mean();
    }
    for (int s = 0; s < o.subsets; ++s) {
      const auto idx = batch_indices(N, static_cast<std::size_t>(B), o.seed, kSubsetStream + static_cast<std::uint64_t>(s));
      const CurvatureOperator op = full.with_indices(idx);
      if (o.plain_batch_top) {
        const Top bt = top_of(op, o.lanczos_steps, o.seed, kBatchLanczosStream + static_cast<std::uint64_t>(s), true);
        row.top.push_back(bt.top);
        row.second.push_back(bt.second);
        row.residual.push_back(bt.residual);
        const double ov = phi.size() ? bt.vector.normalized().dot(phi) : std::numeric_limits<double>::quiet_NaN();
        row.overlap.push_back(ov * ov);
        row.applications += bt.applications;
      }
      if (o.preconditioned) {
        const PreconditionedOperator pop{op, sqrt_d};
        const Top pt = top_of(pop, o.lanczos_steps, o.seed, kBatchLanczosStream + static_cast<std::uint64_t>(s), false);
        row.pre_top.push_back(pt.top);
        row.applications += pt.applications;
      }
    }
    mean_se(row.top, row.top_mean, row.top_se);
    double unused = 0;
    mean_se(row.second, row.second_mean, unused);
    mean_se(row.overlap, row.overlap_mean, unused);
    if (o.preconditioned) mean_se(row.pre_top, row.pre_top_mean, row.pre_top_se);
    row.regime = overlap_regime(row.overlap_mean);
    row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tb).count();
    log("B = " + std::to_string(B) + ": top " + std::to_string(row.top_mean) + ", overlap " +
        std::to_string(row.overlap_mean) + " (" + row.regime + ")" +
        (o.preconditioned ? ", preconditioned top " + std::to_string(row.pre_top_mean) : std::string()));
    out.rows.push_back(std::move(row));
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace batchrmt::networks
