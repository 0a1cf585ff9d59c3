// Learning-rate stability trials and the batch spectrum that predicts them (docs/learning-rates.md; docs/theory.md
// §2.7, §3, §5). No LibTorch in this header: verify/ (the sweep with its store and the theory's
// formulas, verify/learning_rate_claims.hpp) and apps/ include it.
//
// One trial (LrTrialRunner::run): from a fixed starting point (checkpoint or initialisation)
// train `steps` steps at a constant learning rate with batches of `batch_size`, then say whether
// it diverged. Batches: the stream of epochs of RandomStream(seed, kOrderStream + epoch)
// permutations (the order `batchrmt train` uses), consecutive slices of `batch_size`, a new epoch
// when the permutation is used up (the last short slice of an epoch is skipped, so every step
// sees exactly B samples). The loss that decides divergence is the mean cross-entropy on a FIXED
// monitor set of training items (the first `monitor_size` of RandomStream(monitor_seed,
// kMonitorStream).permutation(N)), in eval mode, measured before the first step and every
// `monitor_every` steps and after the last:
//     diverged  <=>  some batch loss is non-finite, or a monitor loss is non-finite or exceeds
//                    divergence_factor x the monitor loss at the start.
// Default divergence factor 100: on exact quadratics (tests/verify/stability_search_test.cpp and
// docs/learning-rates.md) heavy ball with rho = 0.9 overshoots transiently near its limit, so a
// 10x rule stops 5 % short of 2(1 + rho)/lambda; 100x stops 0.2 % short, and plain GD is found
// within +1.3 % (100 steps; the excess shrinks as ln(factor)/steps).
//
// Optimisers: sgd (heavy ball, PyTorch SGD with momentum rho, no dampening, no Nesterov) and
// adam (PyTorch Adam: bias-corrected EMAs, denominator sqrt(v_hat) + eps). Adam's moments are
// first accumulated over `adam_warmup` batches of the same size at learning rate 0 (the weights
// do not move), so the trial starts from a second moment that tracks E g_B^2 at this B, the
// state docs/theory.md §2.7's preconditioned limit assumes (a cold start divides the first steps by
// |g| itself, sign descent, a different dynamics).
//
// The batch spectrum (measure_lr_spectrum): Lanczos on the full-data operator (top eigenvalue
// lambda_1 and its Ritz vector phi), and per batch size B on `subsets` nested subsets (the first
// B of RandomStream(seed, kSubsetStream + s).permutation(N), as `batchrmt spectrum`): the top
// Ritz value lambda'_1(B), the second one, the overlap <phi'_B, phi>^2 of the batch top Ritz
// vector with phi. With `preconditioned`, also the top eigenvalue of D^{1/2} H_B D^{1/2} where
//     D_j = 1 / (sqrt(v_j(B)) + eps),   v_j(B) = gbar_j^2 + kappa_B s_j^2        (docs/theory.md §2.7)
// gbar = full-data mean gradient, s_j^2 = variance of the per-sample gradient coordinate j over
// `gradient_samples` training items (a without-replacement subsample), kappa_B = (N - B) /
// (B (N - 1)) (§1.2): the expectation of the bias-corrected second moment Adam keeps at batch
// size B. Regime label of the top eigenvalue of H_B (§3.4 item 2; a measurement, not the
// paper's assumption): "outlier" when the mean overlap is >= 0.5, "edge" when it is < 0.1,
// "ambiguous" between.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "networks/curvature.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "networks/training_kinds.hpp"

namespace batchrmt::networks {

inline constexpr std::uint64_t kMonitorStream = 0x4d4f4e00;  // monitor set of the stability trials

struct LrTrialOptions {
  Optimizer optimizer = Optimizer::sgd;  // sgd or adam (validate refuses adamw)
  double momentum = 0.0;          // sgd: heavy-ball rho
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam
  int adam_warmup = 20;           // adam: batches accumulated into the moments at lr 0
  double weight_decay = 0.0;      // L2 (in the optimiser, not in the loss)
  std::int64_t batch_size = 128;
  int steps = 50;
  double divergence_factor = 2.0;
  std::size_t monitor_size = 1024;  // capped at N
  int monitor_every = 5;
  std::uint64_t monitor_seed = 0;

  void validate() const;  // throws InvalidInput naming the bad value
  std::string serialize() const;
};
// The sweep's optimiser named `text`; otherwise InvalidInput "<what> is '<text>', but must be sgd
// or adam." (the sweep has no adamw).
Optimizer parse_sweep_optimizer(const std::string& text, const std::string& what = "optimizer");

struct LrTrialResult {
  double lr = 0;
  std::uint64_t seed = 0;
  bool diverged = false;
  double loss_start = 0, loss_end = 0;  // monitor losses (loss_end: the last finite one)
  double loss_max_ratio = 0;            // max monitor loss / start
  std::int64_t steps = 0;               // steps run (a diverged run stops at the check that saw it)
  std::string reason;                   // "", "non-finite batch loss", "monitor loss non-finite", "monitor loss > factor x start"
};

// Runs stability trials from the weights (and BatchNorm buffers) of `start` at the time of
// construction; the caller's model is not modified (the runner trains a private copy and
// restores it before every trial). Not for concurrent use.
class LrTrialRunner {
 public:
  LrTrialRunner(const Model& start, const Dataset& train, const Transform& transform, const LrTrialOptions& options);
  LrTrialResult run(double lr, std::uint64_t seed) const;
  const LrTrialOptions& options() const;
  std::int64_t trials_run() const;

  struct State;

 private:
  std::shared_ptr<State> s_;
};

struct LrSpectrumOptions {
  CurvatureOptions curvature;           // Hessian, eval-mode BN by default
  int subsets = 3;
  std::size_t lanczos_steps = 30;       // per batch operator
  std::size_t full_lanczos_steps = 60;  // full-data operator
  bool preconditioned = false;          // Adam: top eigenvalue of D^{1/2} H_B D^{1/2}
  double eps = 1e-8;                    // Adam's damping in D
  std::size_t gradient_samples = 256;   // per-sample gradients for s_j^2
  std::uint64_t seed = 0;
  // When finite: lambda_1 is known (measured once per checkpoint and shared by the claims), so
  // the full-data Lanczos run is skipped; the overlap with phi is then not measured (NaN).
  double lambda_full_given = std::numeric_limits<double>::quiet_NaN();
  bool plain_batch_top = true;  // false: only the preconditioned top per subset (Adam)
  std::function<void(const std::string&)> log;
};

struct LrSpectrumRow {
  std::int64_t B = 0;
  double kappa = 0;
  std::vector<double> top, second, overlap, residual;  // per subset
  double top_mean = 0, top_se = 0;                      // se: NaN with one subset
  double second_mean = 0, overlap_mean = 0;
  std::string regime;                                   // outlier | ambiguous | edge
  // Preconditioned (Adam) operator, when asked for.
  std::vector<double> pre_top;
  double pre_top_mean = 0, pre_top_se = 0;
  double noise_fraction = 0;  // sum_j kappa s_j^2 / sum_j v_j(B)
  double damping_ratio = 0;   // eps / rms_j sqrt(v_j(B))
  double mean_d = 0;          // mean_j D_j(B): the isotropic preconditioner d of docs/theory.md §2.7
  std::int64_t applications = 0;
  double seconds = 0;
};

struct LrSpectrum {
  std::int64_t N = 0, P = 0;
  double lambda_full = 0, lambda_full_residual = 0, second_full = 0;
  double grad_mean_sq = 0;  // mean_j gbar_j^2 (preconditioned only)
  double grad_var = 0;      // mean_j s_j^2
  std::size_t gradient_samples = 0;
  std::vector<LrSpectrumRow> rows;
  std::map<std::string, std::string> conventions;
  double seconds = 0;
};

double finite_population_kappa(std::int64_t N, std::int64_t B);  // (N - B) / (B (N - 1)), docs/theory.md §1.2
std::string overlap_regime(double mean_overlap);                  // the rule above

LrSpectrum measure_lr_spectrum(const Model& model, const Dataset& train, const Transform& transform,
                               const std::vector<std::int64_t>& batch_sizes, const LrSpectrumOptions& options);

}  // namespace batchrmt::networks
