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
#include "theory/batch_hessian.hpp"
#include "theory/learning_rates.hpp"
#include "verify/lr_claim_start.hpp"
#endif

namespace batchrmt::verify {

namespace {
const char* const kName = "Adam largest stable learning rate vs B: ~ B^(1/2) with small damping, ~ B with large damping";
}

#ifdef BATCHRMT_WITH_TORCH

ClaimResult claim_adam_scaling(const Config& c, std::uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  ClaimResult r;
  r.id = "C7";
  r.name = kName;
  LrStart start;
  if (!load_lr_start(r, c, "c7", seed, start)) return r;
  const auto& sp = start.checkpoint.spectrum;
  const auto& noise = *sp.noise_top;
  const double lambda = sp.lambda_full;
  const double beta1 = c.number("c7.beta1", 0.9), beta2 = c.number("c7.beta2", 0.999);
  const double noise_min = c.number("c7.noise_fraction_min", 0.9);
  std::vector<std::pair<std::string, double>> cases{{"small_", c.number("c7.eps_small", 1e-8)}};
  if (c.flag("c7.large_damping", false)) cases.push_back({"large_", c.number("c7.eps_large", 1.0)});
  std::vector<Verdict> parts;
  std::string note;
  for (const auto& [prefix, eps] : cases) {
    const bool small = prefix == "small_";
    networks::LrSpectrumOptions so;
    so.preconditioned = true;
    so.plain_batch_top = false;
    so.eps = eps;
    so.lambda_full_given = lambda;
    so.subsets = static_cast<int>(c.integer("c7.subsets", 4));
    so.lanczos_steps = static_cast<std::size_t>(c.integer("c7.lanczos_steps", 30));
    so.gradient_samples = static_cast<std::size_t>(c.integer("c7.gradient_samples", 256));
    so.seed = seed;
    so.curvature.dtype = networks::parse_compute_dtype(c.text("c7.dtype", "float32"));
    const auto spec = networks::measure_lr_spectrum(start.checkpoint.model, start.checkpoint.data.train, start.checkpoint.data.test_transform,
                                                    start.batch_sizes, so);
    GridSweepRequest rq = grid_request(c, "c7", start, seed);
    rq.trial.optimizer = networks::Optimizer::adam;
    rq.trial.eps = eps;
    rq.trial.beta1 = beta1;
    rq.trial.beta2 = beta2;
    rq.trial.adam_warmup = static_cast<int>(c.integer("c7.adam_warmup", 20));
    rq.work_file = lr_work_file(c, "c7-" + start.checkpoint.label + "-" + prefix.substr(0, prefix.size() - 1));
    std::vector<LrPoint> pts(start.rows.size());
    std::vector<double> pre_top, pre_se, mean_d, noise_fraction, damping;
    for (std::size_t i = 0; i < start.rows.size(); ++i) {
      const auto& row = *start.rows[i];
      const auto& pr = spec.rows[i];
      LrPoint& p = pts[i];
      p.B = row.B;
      p.kappa = row.kappa;
      p.q = row.q;
      p.top_ratio = row.top_mean / lambda;
      p.predicted = theory::ema_momentum_max_lr(pr.pre_top_mean, beta1);
      p.predicted_ln_se = std::isfinite(pr.pre_top_se) ? pr.pre_top_se / pr.pre_top_mean : 0.0;
      const double ms_top = theory::first_order_shift(lambda, row.kappa, noise.v_phi);
      p.mean_square = theory::ema_momentum_max_lr(pr.mean_d * ms_top, beta1);
      p.mean_square_ln_se = row.kappa * noise.v_phi_se / lambda / ms_top;
      p.null_value = theory::ema_momentum_max_lr(pr.mean_d * lambda, beta1);
      if (small && !(pr.noise_fraction >= noise_min && pr.damping_ratio <= 0.1)) {
        p.regime_ok = false;
        p.regime_note = "B=" + std::to_string(p.B) + ": second moment not noise-dominated with small damping (noise fraction " +
                        format_number(pr.noise_fraction, 3) + ", eps/rms sqrt(v) " + format_number(pr.damping_ratio, 3) + ")";
      }
      if (!small && !(pr.damping_ratio >= 10.0)) {
        p.regime_ok = false;
        p.regime_note = "B=" + std::to_string(p.B) + ": the damping does not dominate (eps/rms sqrt(v) " + format_number(pr.damping_ratio, 3) + " < 10)";
      }
      rq.centers.push_back(p.predicted);
      pre_top.push_back(pr.pre_top_mean);
      pre_se.push_back(pr.pre_top_se);
      mean_d.push_back(pr.mean_d);
      noise_fraction.push_back(pr.noise_fraction);
      damping.push_back(pr.damping_ratio);
    }
    const auto rows = run_grid_sweep(rq);
    for (std::size_t i = 0; i < rows.size(); ++i) pts[i].limits = rows[i].limits;
    const LrJudgeOptions o = judge_options(c, "c7", rq.trial.steps, small ? 0.5 : 1.0, small ? 1.0 : 0.5);
    const LrJudgement j = judge_learning_rates(pts, o);
    put_learning_rates(r, prefix, pts, j, o);
    r.series[prefix + "preconditioned_top"] = pre_top;
    r.series[prefix + "preconditioned_top_se"] = pre_se;
    r.series[prefix + "mean_d"] = mean_d;
    r.series[prefix + "noise_fraction"] = noise_fraction;
    r.series[prefix + "damping_ratio"] = damping;
    r.scalars[prefix + "eps"] = eps;
    std::vector<double> tB, tlr, tseed, tratio;
    for (const auto& row : rows)
      for (const auto& t : row.trials) {
        tB.push_back(static_cast<double>(row.B));
        tlr.push_back(t.lr);
        tseed.push_back(static_cast<double>(t.seed));
        tratio.push_back(t.loss_max_ratio);
      }
    r.series[prefix + "trial_B"] = tB;
    r.series[prefix + "trial_lr"] = tlr;
    r.series[prefix + "trial_seed"] = tseed;
    r.series[prefix + "trial_loss_max_ratio"] = tratio;
    const Verdict v = combine_parts({j.per_b, j.scaling});
    r.labels[prefix + "verdict"] = to_string(v);
    parts.push_back(v);
    note += std::string(small ? "Small" : "Large") + " damping eps = " + format_number(eps) + ": (a) " + to_string(j.per_b) + ": " +
            j.per_b_note + ". (b) " + to_string(j.scaling) + ": " + j.scaling_note + ". ";
    if (small) {
      const std::size_t ref = factor_index(o, o.reference_factor);
      r.prediction = o.claim_slope;
      r.measurement = j.asym_slopes[ref].slope;
      r.stderr_ = j.asym_slopes[ref].slope_se;
      r.z = j.scaling_z;
    }
  }
  std::string protocol_note;
  const Verdict protocol = run_batch_rule_protocol(r, c, "c7", networks::Optimizer::adam, seed, protocol_note);
  r.labels["protocol_verdict"] = to_string(protocol);
  parts.push_back(protocol);
  note += "Paper protocol: " + to_string(protocol) + ": " + protocol_note + ". ";
  r.scalars["lambda_full"] = lambda;
  r.scalars["v_phi"] = noise.v_phi;
  r.labels["start"] = describe_start(start);
  r.verdict = combine_parts(parts);
  r.note = "start: " + describe_start(start) + "; Adam betas (" + format_number(beta1) + ", " + format_number(beta2) + "), moments warmed over " +
           std::to_string(c.integer("c7.adam_warmup", 20)) + " batches at lr 0; " + note +
           "Verdict: disagrees > inconclusive > agrees > outside its regime over the parts of both dampings.";
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

#else

ClaimResult claim_adam_scaling(const Config&, std::uint64_t) {
  return not_measured("C7", kName, "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to train");
}

#endif

}  // namespace batchrmt::verify
