// `batchrmt advise`: the practitioner's table. For a model (built-in, checkpoint or TorchScript)
// and its data it measures the full-data top eigenvalue lambda, the curvature noise V_phi, the
// gradient noise scale B_simple and the batch spectra at a few B, and prints per B the predicted
// top, the regime (q_B) and the largest stable learning rates of SGD and Adam in the
// batch-spectrum and mean-square forms (verify/learning_rate_advice.hpp, docs/advise.md,
// docs/theory.md §2.8). --measure checks the table with short learning-rate sweeps at two B.
// No LibTorch headers here.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "apps/cli_lists.hpp"
#include "apps/command_registry.hpp"
#include "apps/output_checks.hpp"
#include "apps/runtime.hpp"
#include "apps/torch/network_options.hpp"
#include "apps/torch/train_run_info.hpp"
#include "core/checks.hpp"
#include "core/errors.hpp"
#include "networks/curvature.hpp"
#include "networks/torch_runtime.hpp"
#include "verify/advice_measurement.hpp"
#include "verify/learning_rate_advice.hpp"
#include "verify/spectrum_measurement.hpp"

namespace {

namespace fs = std::filesystem;
namespace nw = batchrmt::networks;
namespace verify = batchrmt::verify;
using batchrmt::InvalidInput;
using batchrmt::app::GlobalOptions;
using nlohmann::json;

struct AdviseCli : batchrmt::app::MeasuredModelOptions {
  std::string dtype = "auto", batchnorm = "eval", device = "cpu";
  std::string batch_sizes = "8,32,128,512";
  int subsets = 8;
  std::size_t lanczos_steps = 30, full_lanczos_steps = 60, noise_samples = 1000, gradient_samples = 256;
  std::int64_t chunk_size = 512;
  double momentum = 0.9, beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;
  bool measure = false;
  std::string measure_batch_sizes, optimizers = "sgd,adam";
  nw::LrTrialOptions trial;
  int seeds = 2, grid_points = 9;
  double grid_ratio = 1.4142135623730951, report_factor = 2.0;
  batchrmt::app::RunSwitches run;
  bool noise_samples_given = false;
};

json num(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

std::string fmt(double x, int p = 4) {
  if (!std::isfinite(x)) return "-";
  std::ostringstream os;
  os << std::setprecision(p) << x;
  return os.str();
}

// "0.031 (8%)": a rate with its relative standard error.
std::string rate_with_se(double lr, double ln_se) {
  return fmt(lr, 3) + (std::isfinite(ln_se) ? " (" + fmt(100.0 * ln_se, 2) + "%)" : "");
}

std::vector<std::int64_t> positive_sizes(const std::string& flag, const std::string& text, std::size_t N) {
  const auto sizes = batchrmt::app::parse_int_list(flag, text);
  if (sizes.empty()) throw InvalidInput(flag + " is empty, but must list at least one batch size.");
  for (auto B : sizes)
    if (B < 1 || static_cast<std::size_t>(B) > N)
      throw InvalidInput(flag + " holds " + std::to_string(B) + ", but batch sizes must lie in 1.." + std::to_string(N) +
                         " (the training items).");
  return sizes;
}

// Option values checked with their flag names before the model or data are loaded.
void check_options(const AdviseCli& c) {
  const char* f = "advise";
  batchrmt::check_at_least(f, "--subsets", c.subsets, 2);
  batchrmt::check_at_least(f, "--lanczos-steps", c.lanczos_steps, std::size_t{2});
  batchrmt::check_at_least(f, "--full-lanczos-steps", c.full_lanczos_steps, std::size_t{2});
  batchrmt::check_at_least(f, "--noise-samples", c.noise_samples, std::size_t{2});
  batchrmt::check_at_least(f, "--gradient-samples", c.gradient_samples, std::size_t{2});
  batchrmt::check_bounded(f, "--momentum", c.momentum, 0.0, 0.999);
  batchrmt::check_bounded(f, "--beta1", c.beta1, 0.0, 0.999);
  batchrmt::check_positive(f, "--adam-eps", c.adam_eps);
  batchrmt::check_at_least(f, "--seeds", c.seeds, 1);
  if (!(c.grid_ratio > 1.0 && std::isfinite(c.grid_ratio)))
    throw InvalidInput("--grid-ratio is " + fmt(c.grid_ratio) + ", but must be a finite number above 1.");
  if (c.grid_points < 3 || c.grid_points % 2 == 0)
    throw InvalidInput("--grid-points is " + std::to_string(c.grid_points) + ", but must be odd and at least 3.");
  if (c.report_factor != 1.5 && c.report_factor != 2.0 && c.report_factor != 4.0)
    throw InvalidInput("--divergence-factor is " + fmt(c.report_factor) + ", but must be 1.5, 2 or 4 (the factors the sweep records).");
}

// --optimizers as the optimisers the table predicts for (sgd, adam), parsed once here.
std::vector<nw::Optimizer> parse_optimizers(const std::string& text) {
  std::vector<nw::Optimizer> out;
  for (const auto& o : batchrmt::app::split_commas(text)) {
    if (o != "sgd" && o != "adam") throw InvalidInput("--optimizers holds '" + o + "', but must list sgd and/or adam.");
    out.push_back(nw::parse_optimizer(o, "--optimizers"));
  }
  return out;
}

nw::SpectrumRequest spectrum_request(const GlobalOptions& global, const AdviseCli& c, const batchrmt::app::MeasuredModel& m,
                                     const std::vector<std::int64_t>& sizes, std::size_t noise_samples,
                                     const std::function<void(const std::string&)>& log) {
  nw::SpectrumRequest rq;
  rq.model = m.model;
  rq.data = m.train;
  rq.transform = m.data.test_transform;
  rq.curvature.dtype = nw::parse_compute_dtype(c.dtype);
  rq.curvature.batchnorm = nw::parse_batchnorm_policy(c.batchnorm);
  rq.curvature.chunk_size = c.chunk_size;
  rq.curvature.device = c.device;
  rq.batch_sizes = sizes;
  rq.subsets = c.subsets;
  rq.lanczos_steps = c.lanczos_steps;
  rq.full_lanczos_steps = c.full_lanczos_steps;
  rq.noise_samples = noise_samples;
  rq.store_vectors = false;
  rq.seed = global.seed;
  rq.attributes = m.attrs;
  rq.log = log;
  return rq;
}

// The rows of the table that --measure sweeps: --measure-batch-sizes, else the smallest and the
// largest B of the table.
std::vector<const verify::AdviceRow*> measured_rows(const AdviseCli& c, const verify::Advice& a) {
  std::vector<std::int64_t> want;
  if (!c.measure_batch_sizes.empty()) {
    want = batchrmt::app::parse_int_list("--measure-batch-sizes", c.measure_batch_sizes);
  } else {
    want = {a.rows.front().in.B, a.rows.back().in.B};
    for (const auto& r : a.rows) want = {std::min(want[0], r.in.B), std::max(want[1], r.in.B)};
  }
  std::vector<const verify::AdviceRow*> rows;
  for (auto B : want) {
    const auto it = std::find_if(a.rows.begin(), a.rows.end(), [B](const verify::AdviceRow& r) { return r.in.B == B; });
    if (it == a.rows.end())
      throw InvalidInput("--measure-batch-sizes holds " + std::to_string(B) + ", but each must be one of --batch-sizes (" +
                         c.batch_sizes + ").");
    if (std::find(rows.begin(), rows.end(), &*it) == rows.end()) rows.push_back(&*it);
  }
  return rows;
}

verify::GridSweepRequest sweep_request(const GlobalOptions& global, const AdviseCli& c, const batchrmt::app::MeasuredModel& m,
                                       const std::string& work_file, const std::function<void(const std::string&)>& log) {
  verify::GridSweepRequest rq;
  rq.model = m.model;
  rq.train = m.train;
  rq.transform = m.data.test_transform;
  rq.trial = c.trial;
  rq.trial.momentum = c.momentum;
  rq.trial.beta1 = c.beta1;
  rq.trial.beta2 = c.beta2;
  rq.trial.eps = c.adam_eps;
  rq.trial.monitor_seed = global.seed;
  rq.trial.validate();
  rq.ratio = c.grid_ratio;
  rq.points = c.grid_points;
  rq.seeds = c.seeds;
  rq.first_seed = global.seed;
  rq.provenance_seed = global.seed;
  rq.work_file = work_file;
  rq.log = log;
  return rq;
}

// The reported factor's limit of each swept row, beside the row's two predictions.
std::vector<verify::MeasuredLimit> compare_sweep(const AdviseCli& c, nw::Optimizer optimizer,
                                                 const std::vector<const verify::AdviceRow*>& rows,
                                                 const std::vector<verify::GridSweepRow>& sweep) {
  std::vector<verify::MeasuredLimit> out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& limits = sweep.at(i).limits;
    const auto it = std::find_if(limits.begin(), limits.end(), [&](const verify::FactorLimit& l) { return l.factor == c.report_factor; });
    if (it == limits.end()) throw batchrmt::NumericalFailure("advise: the sweep holds no limit for the reported divergence factor.");
    out.push_back(verify::compare_limit(*rows[i], optimizer, *it));
  }
  return out;
}

json advice_json(const verify::Advice& a, const std::vector<verify::MeasuredLimit>& measured) {
  json rows = json::array();
  for (const auto& r : a.rows)
    rows.push_back({{"B", r.in.B},
                    {"kappa", num(r.in.kappa)},
                    {"subsets", r.in.subsets},
                    {"top", num(r.in.top)},
                    {"top_se", num(r.in.top_se)},
                    {"predicted_top", num(r.predicted_top)},
                    {"predicted_top_se", num(r.predicted_top_se)},
                    {"q", num(r.q)},
                    {"exponent", num(r.exponent)},
                    {"regime", batchrmt::theory::to_string(r.regime)},
                    {"sgd_lr", num(r.sgd_lr)},
                    {"sgd_lr_ln_se", num(r.sgd_lr_ln_se)},
                    {"sgd_lr_mean_square", num(r.sgd_lr_mean_square)},
                    {"sgd_lr_mean_square_ln_se", num(r.sgd_lr_mean_square_ln_se)},
                    {"adam_preconditioner", num(r.in.adam_preconditioner)},
                    {"adam_lr", num(r.adam_lr)},
                    {"adam_lr_ln_se", num(r.adam_lr_ln_se)},
                    {"adam_lr_mean_square", num(r.adam_lr_mean_square)},
                    {"adam_lr_mean_square_ln_se", num(r.adam_lr_mean_square_ln_se)},
                    {"b_over_b_simple", num(r.b_over_b_simple)},
                    {"gradient_regime", verify::gradient_regime(r.b_over_b_simple)}});
  json limits = json::array();
  for (const auto& m : measured)
    limits.push_back({{"optimizer", m.optimizer},
                      {"B", m.B},
                      {"divergence_factor", m.limit.factor},
                      {"lr_max", num(m.limit.lr_max)},
                      {"lr_max_ln_se", num(m.limit.ln_se)},
                      {"status", m.limit.status},
                      {"seeds_bracketed", m.limit.bracketed},
                      {"predicted", num(m.predicted)},
                      {"ratio", num(m.ratio)},
                      {"z", num(m.z)},
                      {"predicted_mean_square", num(m.predicted_mean_square)},
                      {"ratio_mean_square", num(m.ratio_mean_square)},
                      {"z_mean_square", num(m.z_mean_square)}});
  return json{{"N", a.in.N},
              {"P", a.in.P},
              {"lambda_full", num(a.in.lambda)},
              {"lambda_full_residual", num(a.in.lambda_residual)},
              {"v_phi", num(a.in.v_phi)},
              {"v_phi_se", num(a.in.v_phi_se)},
              {"noise_samples", a.in.noise_samples},
              {"gradient_norm2", num(a.in.gradient_norm2)},
              {"trace_sigma", num(a.in.trace_sigma)},
              {"trace_sigma_se", num(a.in.trace_sigma_se)},
              {"gradient_samples", a.in.gradient_samples},
              {"b_crit_curvature", num(a.b_crit_curvature)},
              {"b_crit_curvature_se", num(a.b_crit_curvature_se)},
              {"b_simple", num(a.b_simple)},
              {"b_simple_se", num(a.b_simple_se)},
              {"momentum", a.in.momentum},
              {"beta1", a.in.beta1},
              {"adam_eps", a.in.adam_eps},
              {"rows", rows},
              {"measured", limits}};
}

void print_advice(std::ostream& os, const verify::Advice& a, const std::vector<verify::MeasuredLimit>& measured) {
  os << "full data: lambda = " << fmt(a.in.lambda, 5) << " (Ritz residual " << fmt(a.in.lambda_residual, 2) << "), V_phi = "
     << fmt(a.in.v_phi, 5) << " +- " << fmt(a.in.v_phi_se, 2) << " (" << a.in.noise_samples << " samples), |G|^2 = "
     << fmt(a.in.gradient_norm2, 4) << ", tr(Sigma) = " << fmt(a.in.trace_sigma, 4) << " +- " << fmt(a.in.trace_sigma_se, 2) << " ("
     << a.in.gradient_samples << " samples)\n";
  os << "critical batch sizes: curvature V_phi/lambda^2 = " << fmt(a.b_crit_curvature, 4) << " +- " << fmt(a.b_crit_curvature_se, 2)
     << ", gradient B_simple = tr(Sigma)/|G|^2 = " << fmt(a.b_simple, 4) << " +- " << fmt(a.b_simple_se, 2) << "\n";
  os << "SGD: heavy ball, momentum " << fmt(a.in.momentum) << "; Adam: beta1 " << fmt(a.in.beta1) << ", eps " << fmt(a.in.adam_eps)
     << " (isotropic preconditioner d_B); lr in brackets: relative se\n\n";
  os << std::left << std::setw(7) << "B" << std::setw(8) << "q_B" << std::setw(21) << "regime" << std::setw(18) << "top (measured)"
     << std::setw(18) << "top (predicted)" << std::setw(16) << "SGD lr" << std::setw(16) << "SGD lr (m-s)" << std::setw(16)
     << "Adam lr" << std::setw(16) << "Adam lr (m-s)" << "B/B_simple\n";
  for (const auto& r : a.rows)
    os << std::setw(7) << r.in.B << std::setw(8) << fmt(r.q, 3) << std::setw(21) << batchrmt::theory::to_string(r.regime)
       << std::setw(18) << (fmt(r.in.top, 4) + " +- " + fmt(r.in.top_se, 2)) << std::setw(18)
       << (fmt(r.predicted_top, 4) + " +- " + fmt(r.predicted_top_se, 2)) << std::setw(16) << rate_with_se(r.sgd_lr, r.sgd_lr_ln_se)
       << std::setw(16) << rate_with_se(r.sgd_lr_mean_square, r.sgd_lr_mean_square_ln_se) << std::setw(16)
       << rate_with_se(r.adam_lr, r.adam_lr_ln_se) << std::setw(16)
       << rate_with_se(r.adam_lr_mean_square, r.adam_lr_mean_square_ln_se) << fmt(r.b_over_b_simple, 3) << " ("
       << verify::gradient_regime(r.b_over_b_simple) << ")\n";
  os << "\n";
  for (const auto& r : a.rows)
    os << "B = " << r.in.B << ": q_B = " << fmt(r.q, 3) << ", " << batchrmt::theory::to_string(r.regime)
       << " (the mean-square lr grows as B^" << fmt(r.exponent, 2) << " here); " << verify::gradient_regime(r.b_over_b_simple)
       << " B_simple (B/B_simple = " << fmt(r.b_over_b_simple, 3) << ")\n";
  if (measured.empty()) return;
  os << "\nmeasured lr_max (divergence factor " << fmt(measured.front().limit.factor) << ") beside the predictions:\n";
  os << std::left << std::setw(6) << "opt" << std::setw(7) << "B" << std::setw(18) << "measured" << std::setw(12) << "predicted"
     << std::setw(9) << "ratio" << std::setw(9) << "z" << std::setw(12) << "m-s pred." << std::setw(9) << "ratio" << "z\n";
  for (const auto& m : measured)
    os << std::setw(6) << m.optimizer << std::setw(7) << m.B << std::setw(18)
       << (m.limit.status == "bracketed" ? rate_with_se(m.limit.lr_max, m.limit.ln_se) : std::string("not bracketed")) << std::setw(12)
       << fmt(m.predicted, 3) << std::setw(9) << fmt(m.ratio, 3) << std::setw(9) << fmt(m.z, 2) << std::setw(12)
       << fmt(m.predicted_mean_square, 3) << std::setw(9) << fmt(m.ratio_mean_square, 3) << fmt(m.z_mean_square, 2) << "\n";
  for (const auto& m : measured)
    if (m.limit.status != "bracketed") os << m.optimizer << " B = " << m.B << ": " << m.limit.status << "\n";
}

void run_advise(const GlobalOptions& global, AdviseCli c) {
  batchrmt::app::apply_runtime_settings(global);
  c.device = nw::checked_device(c.device);
  const bool verbose = !global.json && !c.run.quiet;
  auto log = [&](const std::string& m) {
    if (verbose) std::cerr << "advise: " << m << std::endl;
  };
  check_options(c);
  const std::vector<nw::Optimizer> optimizers = parse_optimizers(c.optimizers);
  if (!global.out.empty()) batchrmt::app::check_out_path(global.out);
  batchrmt::app::MeasuredModel m = batchrmt::app::resolve_measured_model(c, global, log);
  m.attrs["model"] = m.model.spec().describe();
  m.attrs["model_spec"] = m.model.spec().serialize();
  m.attrs["dataset"] = m.data.description;
  m.attrs["normalize"] = c.normalize;
  const std::size_t N = m.train.size();
  const auto sizes = positive_sizes("--batch-sizes", c.batch_sizes, N);
  if (c.noise_samples > N && c.noise_samples_given)
    throw InvalidInput("--noise-samples is " + std::to_string(c.noise_samples) + ", but the population has " + std::to_string(N) + " samples.");
  const std::size_t noise_samples = std::min(c.noise_samples, N);
  const nw::SpectrumRequest rq = spectrum_request(global, c, m, sizes, noise_samples, log);

  batchrmt::app::IdentityOptions identity_options;
  identity_options.threads = true;
  batchrmt::outputs::Store store = batchrmt::app::open_measurement_store(
      global, c.run, "results/advise-" + m.model.spec().name + "-" + c.data.name + ".h5", m.model.spec(), c.data, c.checkpoint, identity_options, log);
  const std::string out = store.final_path();
  const fs::path work = out.substr(0, out.size() - 3) + ".work";
  if (!c.run.resume) fs::remove_all(work);  // trials of an earlier run belong to other options

  log("spectrum: full data, V_phi on " + std::to_string(noise_samples) + " samples, batch sizes " + c.batch_sizes);
  const nw::SpectrumResult spectrum = verify::measure_spectrum(rq, &store);
  log("gradient noise on " + std::to_string(std::min(c.gradient_samples, N)) + " per-sample gradients");
  const nw::GradientNoise noise = verify::gradient_noise_unit(rq, c.gradient_samples, global.seed, &store);
  const verify::Advice advice = verify::advise_learning_rates(verify::advice_inputs(spectrum, noise, c.momentum, c.beta1, c.adam_eps));
  verify::write_advice(store.root(), advice);

  std::vector<verify::MeasuredLimit> measured;
  if (c.measure) {
    const auto rows = measured_rows(c, advice);
    for (const nw::Optimizer optimizer : optimizers) {
      const std::string name = nw::to_string(optimizer);
      log("measure: " + name + " lr_max at B = " + std::to_string(rows.front()->in.B) +
          (rows.size() > 1 ? " and " + std::to_string(rows.back()->in.B) : std::string()));
      const auto sweep = verify::run_advice_sweep(sweep_request(global, c, m, (work / ("sweep-" + name + ".h5")).string(), log),
                                                  optimizer, rows);
      verify::write_advice_sweep(store.root(), optimizer, sweep);
      for (auto& l : compare_sweep(c, optimizer, rows, sweep)) measured.push_back(std::move(l));
    }
    verify::write_measured_limits(store.root(), measured);
  }
  store.commit();
  fs::remove_all(work);

  json j = advice_json(advice, measured);
  j["model"] = m.model.spec().describe();
  j["dataset"] = m.data.description;
  j["out"] = out;
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "advise: " << m.model.spec().describe() << " (P = " << advice.in.P << ") on " << m.data.description
       << " (N = " << advice.in.N << ")\n";
    print_advice(os, advice, measured);
    os << "results " << out << "\n";
  });
}

void register_advise(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand(
      "advise", "Largest stable learning rates of SGD and Adam per batch size from the measured spectrum, curvature noise "
                "and gradient noise of your model, with both critical batch sizes; --measure checks them (LibTorch)");
  auto c = std::make_shared<AdviseCli>();
  batchrmt::app::add_measured_model_options(sub, *c);
  sub->add_option("--batch-sizes", c->batch_sizes, "Comma-separated batch sizes of the table")->capture_default_str();
  sub->add_option("--subsets", c->subsets, "Subsets per batch size for the batch spectrum (at least 2: the se)")->capture_default_str();
  sub->add_option("--lanczos-steps", c->lanczos_steps, "Lanczos steps per batch operator")->capture_default_str();
  sub->add_option("--full-lanczos-steps", c->full_lanczos_steps, "Lanczos steps of the full-data operator")->capture_default_str();
  auto* noise = sub->add_option("--noise-samples", c->noise_samples, "Per-sample curvatures for V_phi (capped at N unless given)")
                    ->capture_default_str();
  sub->add_option("--gradient-samples", c->gradient_samples, "Per-sample gradients for tr(Sigma) and Adam's second moment")
      ->capture_default_str();
  sub->add_option("--dtype", c->dtype, "auto (float64 on cpu, float32 on cuda) | float32 | float64")->capture_default_str();
  sub->add_option("--batchnorm", c->batchnorm, "eval (running statistics) | train")->capture_default_str();
  sub->add_option("--chunk-size", c->chunk_size, "Samples per forward chunk")->capture_default_str();
  sub->add_option("--momentum", c->momentum, "SGD heavy-ball momentum rho")->capture_default_str();
  sub->add_option("--beta1", c->beta1, "Adam beta1")->capture_default_str();
  sub->add_option("--beta2", c->beta2, "Adam beta2 (--measure trials)")->capture_default_str();
  sub->add_option("--adam-eps", c->adam_eps, "Adam epsilon (damping)")->capture_default_str();
  sub->add_flag("--measure", c->measure, "Also measure lr_max by short learning-rate sweeps at two batch sizes");
  sub->add_option("--measure-batch-sizes", c->measure_batch_sizes, "Batch sizes swept by --measure (default: the smallest and largest)");
  sub->add_option("--optimizers", c->optimizers, "Optimisers swept by --measure: sgd, adam or both")->capture_default_str();
  sub->add_option("--steps", c->trial.steps, "--measure: steps per trial")->capture_default_str();
  sub->add_option("--seeds", c->seeds, "--measure: seeds per learning rate")->capture_default_str();
  sub->add_option("--grid-points", c->grid_points, "--measure: rates of the log grid centred on the prediction (odd)")
      ->capture_default_str();
  sub->add_option("--grid-ratio", c->grid_ratio, "--measure: ratio between neighbouring rates")->capture_default_str();
  sub->add_option("--monitor-size", c->trial.monitor_size, "--measure: training items of the monitor loss")->capture_default_str();
  sub->add_option("--monitor-every", c->trial.monitor_every, "--measure: steps between monitor losses")->capture_default_str();
  sub->add_option("--divergence-factor", c->report_factor, "--measure: the reported factor (1.5, 2 or 4; all three are recorded)")
      ->capture_default_str();
  sub->add_option("--device", c->device, "cpu | cuda | cuda:K")->capture_default_str();
  batchrmt::app::add_run_switches(sub, c->run, "Continue an interrupted --out file: complete units and swept batch sizes are kept");
  c->trial.monitor_size = 512;
  c->trial.monitor_every = 10;
  sub->callback([c, noise, &global] {
    c->noise_samples_given = noise->count() > 0;
    run_advise(global, *c);
  });
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(advise, 57, register_advise)
