// C7: Adam's largest stable learning rate against batch size, from the trained checkpoint shared
// with C5 (docs/learning-rates.md, "C6 and C7"). Per B and damping eps the paper's linearised rule
// 2(1+beta1)/((1-beta1) mu'_1(B)), mu'_1 the top eigenvalue of D^{1/2} H_B D^{1/2} with Adam's
// expected preconditioner D(B) (networks/lr_sweep.hpp), and the preconditioned analogue of the
// mean-square bound with the isotropic D ~ mean_j D_j(B) of the small-damping argument (docs/theory.md §2.7):
// 2(1+beta1)/((1-beta1) d_B (lambda + kappa_B V_phi/lambda)). Small damping: slope 1/2 (null 1)
// where the second moment is noise-dominated; large damping: slope 1 (null 1/2).
#include <chrono>
#include <cmath>

#include "core/errors.hpp"
#include "verify/batch_rule_protocol.hpp"
#include "verify/learning_rate_claims.hpp"
#include "verify/statistics.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include "networks/lr_sweep.hpp"
#include "theory/learning_rates.hpp"
#include "verify/lr_claim_start.hpp"
#endif

namespace batchrmt::verify {

namespace {
const char* const kName = "Adam largest stable learning rate vs B: ~ B^(1/2) with small damping, ~ B with large damping";
}

#ifndef BATCHRMT_WITH_TORCH

ClaimResult claim_adam_scaling(const Config&, std::uint64_t) { return without_libtorch("C7", kName, "train"); }

#else

namespace {

// C7's options, read once from the [c7] table.
struct C7Options {
  LrClaimOptions grid;
  double beta1 = 0.9, beta2 = 0.999;
  int adam_warmup = 20;  // batches at lr 0 that warm the moments
  double eps_small = 1e-8, eps_large = 1.0;
  bool large_damping = false;
  double noise_fraction_min = 0.9;  // small damping's regime: the second moment is noise-dominated
  // The preconditioned batch spectrum (networks/lr_sweep.hpp).
  int subsets = 4;
  std::size_t lanczos_steps = 30, gradient_samples = 256;
  networks::ComputeDtype dtype = networks::ComputeDtype::float32;
  BatchRuleProtocolOptions protocol;

  static C7Options from(const Config& c) {
    C7Options o;
    o.grid = LrClaimOptions::from(c, "c7");
    o.beta1 = c.number("c7.beta1", o.beta1);
    o.beta2 = c.number("c7.beta2", o.beta2);
    o.adam_warmup = static_cast<int>(c.integer("c7.adam_warmup", o.adam_warmup));
    o.eps_small = c.number("c7.eps_small", o.eps_small);
    o.eps_large = c.number("c7.eps_large", o.eps_large);
    o.large_damping = c.flag("c7.large_damping", o.large_damping);
    o.noise_fraction_min = c.number("c7.noise_fraction_min", o.noise_fraction_min);
    o.subsets = static_cast<int>(c.integer("c7.subsets", o.subsets));
    o.lanczos_steps = static_cast<std::size_t>(c.integer("c7.lanczos_steps", static_cast<std::int64_t>(o.lanczos_steps)));
    o.gradient_samples = static_cast<std::size_t>(c.integer("c7.gradient_samples", static_cast<std::int64_t>(o.gradient_samples)));
    o.dtype = networks::parse_compute_dtype(c.text("c7.dtype", "float32"));
    o.protocol = BatchRuleProtocolOptions::from(c, "c7", networks::Optimizer::adam);
    return o;
  }
};

// One damping: its prefix ("small_" or "large_") and eps.
struct Damping {
  std::string prefix;
  double eps = 0;
  bool small() const { return prefix == "small_"; }
};

// The batch spectrum preconditioned by Adam's expected D(B) at damping eps.
networks::LrSpectrum preconditioned_spectrum(const C7Options& o, const LrStart& start, double eps, std::uint64_t seed) {
  networks::LrSpectrumOptions so;
  so.preconditioned = true;
  so.plain_batch_top = false;
  so.eps = eps;
  so.lambda_full_given = start.checkpoint.spectrum.lambda_full;
  so.subsets = o.subsets;
  so.lanczos_steps = o.lanczos_steps;
  so.gradient_samples = o.gradient_samples;
  so.seed = seed;
  so.curvature.dtype = o.dtype;
  return networks::measure_lr_spectrum(start.checkpoint.model, start.checkpoint.data.train, start.checkpoint.data.test_transform,
                                       start.batch_sizes, so);
}

// Per B: the linearised rule from mu'_1(B), the mean-square analogue with d_B and the null
// without the batch effect; rows outside the damping's regime are marked.
std::vector<LrPoint> adam_points(const C7Options& o, const LrStart& start, const networks::LrSpectrum& spec, const Damping& d) {
  const double lambda = start.checkpoint.spectrum.lambda_full;
  std::vector<LrPoint> pts(start.rows.size());
  for (std::size_t i = 0; i < start.rows.size(); ++i) {
    const auto& pr = spec.rows[i];
    LrPoint& p = pts[i];
    const double ms_top = start_point(start, i, p);
    p.predicted = theory::ema_momentum_max_lr(pr.pre_top_mean, o.beta1);
    p.predicted_ln_se = std::isfinite(pr.pre_top_se) ? pr.pre_top_se / pr.pre_top_mean : 0.0;
    p.mean_square = theory::ema_momentum_max_lr(pr.mean_d * ms_top, o.beta1);
    p.null_value = theory::ema_momentum_max_lr(pr.mean_d * lambda, o.beta1);
    if (d.small() && !(pr.noise_fraction >= o.noise_fraction_min && pr.damping_ratio <= 0.1)) {
      p.regime_ok = false;
      p.regime_note = "B=" + std::to_string(p.B) + ": second moment not noise-dominated with small damping (noise fraction " +
                      format_number(pr.noise_fraction, 3) + ", eps/rms sqrt(v) " + format_number(pr.damping_ratio, 3) + ")";
    }
    if (!d.small() && !(pr.damping_ratio >= 10.0)) {
      p.regime_ok = false;
      p.regime_note = "B=" + std::to_string(p.B) + ": the damping does not dominate (eps/rms sqrt(v) " + format_number(pr.damping_ratio, 3) + " < 10)";
    }
  }
  return pts;
}

void put_preconditioned(ClaimResult& r, const std::string& prefix, const networks::LrSpectrum& spec) {
  std::vector<double> pre_top, pre_se, mean_d, noise_fraction, damping;
  for (const auto& pr : spec.rows) {
    pre_top.push_back(pr.pre_top_mean);
    pre_se.push_back(pr.pre_top_se);
    mean_d.push_back(pr.mean_d);
    noise_fraction.push_back(pr.noise_fraction);
    damping.push_back(pr.damping_ratio);
  }
  r.series[prefix + "preconditioned_top"] = pre_top;
  r.series[prefix + "preconditioned_top_se"] = pre_se;
  r.series[prefix + "mean_d"] = mean_d;
  r.series[prefix + "noise_fraction"] = noise_fraction;
  r.series[prefix + "damping_ratio"] = damping;
}

// One damping's sweep and parts (a) and (b) into `r` under its prefix; appends to `note`.
Verdict judge_damping(ClaimResult& r, const Config& c, const C7Options& o, const LrStart& start, const Damping& d,
                      std::uint64_t seed, std::string& note) {
  const networks::LrSpectrum spec = preconditioned_spectrum(o, start, d.eps, seed);
  GridSweepRequest rq = grid_request(o.grid, start, seed);
  rq.trial.optimizer = networks::Optimizer::adam;
  rq.trial.eps = d.eps;
  rq.trial.beta1 = o.beta1;
  rq.trial.beta2 = o.beta2;
  rq.trial.adam_warmup = o.adam_warmup;
  rq.work_file = lr_work_file(c, "c7-" + start.checkpoint.label + "-" + d.prefix.substr(0, d.prefix.size() - 1));
  std::vector<LrPoint> pts = adam_points(o, start, spec, d);
  for (const auto& p : pts) rq.centers.push_back(p.predicted);
  const auto rows = run_grid_sweep(rq);
  for (std::size_t i = 0; i < rows.size(); ++i) pts[i].limits = rows[i].limits;
  const LrJudgeOptions jo = judge_options(o.grid, d.small() ? 0.5 : 1.0, d.small() ? 1.0 : 0.5);
  const LrJudgement j = judge_learning_rates(pts, jo);
  put_learning_rates(r, d.prefix, pts, j, jo);
  put_preconditioned(r, d.prefix, spec);
  r.scalars[d.prefix + "eps"] = d.eps;
  put_grid_trials(r, d.prefix, rows, false);
  const Verdict v = combine_parts({j.per_b, j.scaling});
  r.labels[d.prefix + "verdict"] = to_string(v);
  note += std::string(d.small() ? "Small" : "Large") + " damping eps = " + format_number(d.eps) + ": (a) " + to_string(j.per_b) + ": " +
          j.per_b_note + ". (b) " + to_string(j.scaling) + ": " + j.scaling_note + ". ";
  if (d.small()) put_scaling_headline(r, j, jo);
  return v;
}

}  // namespace

ClaimResult claim_adam_scaling(const Config& c, std::uint64_t seed) {
  const auto t0 = Clock::now();
  const C7Options o = C7Options::from(c);
  ClaimResult r = named_claim("C7", kName);
  LrStart start;
  if (!load_lr_start(r, c, o.grid, seed, start)) return r;
  std::vector<Damping> dampings{{"small_", o.eps_small}};
  if (o.large_damping) dampings.push_back({"large_", o.eps_large});
  std::vector<Verdict> parts;
  std::string note;
  for (const auto& d : dampings) parts.push_back(judge_damping(r, c, o, start, d, seed, note));
  std::string protocol_note;
  const Verdict protocol = run_batch_rule_protocol(r, c, o.protocol, seed, protocol_note);
  r.labels["protocol_verdict"] = to_string(protocol);
  parts.push_back(protocol);
  note += "Paper protocol: " + to_string(protocol) + ": " + protocol_note + ". ";
  r.scalars["lambda_full"] = start.checkpoint.spectrum.lambda_full;
  r.scalars["v_phi"] = start.checkpoint.spectrum.noise_top->v_phi;
  r.labels["start"] = describe_start(start);
  r.verdict = combine_parts(parts);
  r.note = "start: " + describe_start(start) + "; Adam betas (" + format_number(o.beta1) + ", " + format_number(o.beta2) +
           "), moments warmed over " + std::to_string(o.adam_warmup) + " batches at lr 0; " + note +
           "Verdict: disagrees > inconclusive > agrees > outside its regime over the parts of both dampings.";
  r.seconds = seconds_since(t0);
  return r;
}

#endif  // BATCHRMT_WITH_TORCH

}  // namespace batchrmt::verify
