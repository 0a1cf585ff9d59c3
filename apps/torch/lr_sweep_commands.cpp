// `batchrmt lr-sweep`: the measured largest stable learning rate per batch size (SGD with or
// without momentum, Adam) from a fixed checkpoint or initialisation, beside the value predicted
// from the measured batch-Hessian spectrum, with the log-log scaling fit (docs/learning-rates.md; docs/theory.md
// §2.7, §3). The sweep is verify/lr_limit_sweep.hpp's run_lr_sweep (HDF5 layout there and
// in docs/learning-rates.md). No LibTorch headers here.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "apps/cli_lists.hpp"
#include "apps/command_registry.hpp"
#include "apps/run_identity.hpp"
#include "apps/output_checks.hpp"
#include "apps/runtime.hpp"
#include "core/checks.hpp"
#include "apps/torch/network_options.hpp"
#include "apps/torch/train_run_info.hpp"
#include "core/errors.hpp"
#include "networks/curvature.hpp"
#include "networks/datasets.hpp"
#include "networks/lr_sweep.hpp"
#include "networks/models.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"
#include "outputs/store.hpp"
#include "verify/lr_limit_sweep.hpp"

namespace {

namespace nw = batchrmt::networks;
namespace outputs = batchrmt::outputs;
namespace verify = batchrmt::verify;
using batchrmt::InvalidInput;
using batchrmt::app::GlobalOptions;
using nlohmann::json;

struct LrSweepCli : batchrmt::app::MeasuredModelOptions {
  nw::LrTrialOptions trial;
  std::string optimizer = "sgd";  // parsed into `trial` when the command runs
  std::string batch_sizes = "8,32,128,512";
  int seeds = 2, bisections = 4;
  double growth = 2.0, lr_start = 0.0, lr_min = 1e-7, lr_max = 1e3;
  int subsets = 3;
  std::size_t lanczos_steps = 30, full_lanczos_steps = 60, gradient_samples = 256;
  bool no_prediction = false;
  std::string device = "cpu";
  batchrmt::app::RunSwitches run;
};

json num(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

std::string fmt(double x, int p = 5) {
  if (!std::isfinite(x)) return "-";
  std::ostringstream os;
  os << std::setprecision(p) << x;
  return os.str();
}

// The search range and its steps, checked with the flags' names before anything is loaded.
void check_search_options(const LrSweepCli& c) {
  const char* f = "lr-sweep";
  if (!(std::isfinite(c.lr_min) && c.lr_min > 0))
    throw InvalidInput("--lr-min is " + fmt(c.lr_min) + ", but must be a positive finite number.");
  if (!(std::isfinite(c.lr_max) && c.lr_max > c.lr_min))
    throw InvalidInput("--lr-max is " + fmt(c.lr_max) + ", but must be finite and above --lr-min (" + fmt(c.lr_min) + ").");
  if (c.lr_start > 0 && !(c.lr_start >= c.lr_min && c.lr_start <= c.lr_max))
    throw InvalidInput("--lr-start is " + fmt(c.lr_start) + ", but must lie in [--lr-min, --lr-max] = [" + fmt(c.lr_min) + ", " +
                       fmt(c.lr_max) + "].");
  if (!(std::isfinite(c.growth) && c.growth > 1.0))
    throw InvalidInput("--growth is " + fmt(c.growth) + ", but must be a finite number above 1.");
  batchrmt::check_at_least(f, "--seeds", c.seeds, 1);
  batchrmt::check_bounded(f, "--bisections", c.bisections, 0, 60);
}

void run_lr_sweep_cli(const GlobalOptions& global, LrSweepCli c) {
  batchrmt::app::apply_runtime_settings(global);
  c.device = nw::checked_device(c.device);
  c.trial.optimizer = nw::parse_sweep_optimizer(c.optimizer, "--optimizer");
  const bool verbose = !global.json && !c.run.quiet;
  auto log = [&](const std::string& m) {
    if (verbose) std::cerr << "lr-sweep: " << m << std::endl;
  };
  check_search_options(c);  // before any model, data or Lanczos work
  if (c.run.resume && c.run.overwrite) throw InvalidInput("--resume and --overwrite were both given, but at most one is allowed.");
  if (!global.out.empty()) batchrmt::app::check_out_path(global.out);
  batchrmt::app::MeasuredModel measured = batchrmt::app::resolve_measured_model(c, global, log);
  nw::Model& model = measured.model;
  const nw::DataSplits& data = measured.data;
  const nw::Dataset& train = measured.train;
  std::map<std::string, std::string>& attrs = measured.attrs;
  attrs["model"] = model.spec().describe();
  attrs["model_spec"] = model.spec().serialize();
  attrs["dataset"] = data.description;
  attrs["normalize"] = c.normalize;

  verify::LrSweepRequest rq;
  rq.model = model;
  rq.train = train;
  rq.transform = data.test_transform;
  rq.trial = c.trial;
  rq.trial.monitor_seed = global.seed;
  rq.trial.validate();
  rq.search.seeds = c.seeds;
  rq.search.first_seed = global.seed;
  rq.search.bisections = c.bisections;
  rq.search.growth = c.growth;
  rq.search.lr_min = c.lr_min;
  rq.search.lr_max = c.lr_max;
  rq.start_at_prediction = c.lr_start <= 0 && !c.no_prediction;
  rq.search.lr_start = c.lr_start > 0 ? c.lr_start : std::clamp(0.01, c.lr_min, c.lr_max);
  rq.measure_spectrum = !c.no_prediction;
  rq.spectrum.subsets = c.subsets;
  rq.spectrum.lanczos_steps = c.lanczos_steps;
  rq.spectrum.full_lanczos_steps = c.full_lanczos_steps;
  rq.spectrum.gradient_samples = c.gradient_samples;
  rq.spectrum.seed = global.seed;
  rq.spectrum.curvature.device = c.device;
  rq.batch_sizes = batchrmt::app::parse_int_list("--batch-sizes", c.batch_sizes);
  for (auto B : rq.batch_sizes)
    if (B < 1 || static_cast<std::size_t>(B) > train.size())
      throw InvalidInput("--batch-sizes holds " + std::to_string(B) + ", but batch sizes must lie in 1.." +
                         std::to_string(train.size()) + " (the training items).");
  rq.attributes = attrs;
  rq.log = log;

  outputs::Store store = batchrmt::app::open_measurement_store(
      global, c.run, "results/lr-sweep-" + model.spec().name + "-" + nw::to_string(c.trial.optimizer) + ".h5",
      model.spec(), c.data, c.checkpoint, {true, {}}, log);
  const std::string out = store.final_path();
  const auto r = verify::run_lr_sweep(rq, &store);
  store.commit();

  json rows = json::array();
  for (const auto& row : r.rows) {
    json o{{"B", row.B},           {"lr_max", num(row.lr_max)},     {"lr_lo", num(row.lr_lo)},
           {"lr_hi", num(row.lr_hi)}, {"predicted", num(row.predicted)}, {"bracketed", row.bracketed},
           {"status", row.status}, {"trials", row.trials.size()},  {"kappa", num(row.kappa)},
           {"top_mean", num(row.top_mean)}, {"top_se", num(row.top_se)}, {"overlap", num(row.overlap)},
           {"regime", row.regime}};
    if (r.optimizer == nw::Optimizer::adam) {
      o["preconditioned_top"] = num(row.pre_top_mean);
      o["noise_fraction"] = num(row.noise_fraction);
      o["damping_ratio"] = num(row.damping_ratio);
    }
    rows.push_back(o);
  }
  json j{{"rows", rows},
         {"fit",
          {{"slope", num(r.fit.slope)},
           {"slope_se", num(r.fit.slope_se)},
           {"regime", r.fit.regime},
           {"points", r.fit.points},
           {"predicted_slope", num(r.predicted_fit.slope)}}},
         {"optimizer", nw::to_string(r.optimizer)},
         {"divergence_factor", c.trial.divergence_factor},
         {"divergence_rule", "non-finite batch loss, or monitor loss (" + std::to_string(c.trial.monitor_size) +
                                 " training items, every " + std::to_string(c.trial.monitor_every) +
                                 " steps) non-finite or above divergence_factor x its start"},
         {"prediction_rule", r.rule},
         {"lambda_full", num(r.lambda_full)},
         {"N", r.N},
         {"P", r.P},
         {"steps", c.trial.steps},
         {"seeds", c.seeds},
         {"model", model.spec().describe()},
         {"out", out},
         {"seconds", r.seconds}};
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "lr-sweep " << nw::to_string(r.optimizer) << " on " << model.spec().describe() << " (P = " << r.P << "), " << data.description
       << " (N = " << r.N << ")\n";
    os << "divergence: non-finite loss or monitor loss > " << fmt(c.trial.divergence_factor) << " x start within "
       << c.trial.steps << " steps; " << c.seeds << " seeds; lambda_1(full) = " << fmt(r.lambda_full) << "\n";
    os << "prediction: " << r.rule << "\n";
    os << std::left << std::setw(7) << "B" << std::setw(12) << "lr_max" << std::setw(24) << "bracket" << std::setw(12)
       << "predicted" << std::setw(12) << "top(H_B)" << std::setw(9) << "overlap" << std::setw(10) << "regime"
       << "trials\n";
    for (const auto& row : r.rows)
      os << std::setw(7) << row.B << std::setw(12) << fmt(row.lr_max) << std::setw(24)
         << ("[" + fmt(row.lr_lo) + ", " + fmt(row.lr_hi) + "]") << std::setw(12) << fmt(row.predicted) << std::setw(12)
         << fmt(row.top_mean) << std::setw(9) << fmt(row.overlap, 3) << std::setw(10) << row.regime << row.trials.size()
         << (row.bracketed ? "" : "  (" + row.status + ")") << "\n";
    os << "fit: ln lr_max = a + b ln B, b = " << fmt(r.fit.slope, 4) << " +- " << fmt(r.fit.slope_se, 2) << " ("
       << r.fit.regime << "); predicted curve b = " << fmt(r.predicted_fit.slope, 4) << "\n";
    os << "results " << out << "\n";
  });
}

void register_lr_sweep(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand(
      "lr-sweep", "Largest stable learning rate per batch size (bracketing + bisection, several seeds) from a fixed "
                  "checkpoint, with the prediction from the measured batch spectrum and the log-log slope (LibTorch)");
  auto c = std::make_shared<LrSweepCli>();
  batchrmt::app::add_measured_model_options(sub, *c);
  sub->add_option("--optimizer", c->optimizer, "sgd (heavy ball with --momentum) | adam")->capture_default_str();
  sub->add_option("--momentum", c->trial.momentum, "SGD momentum rho")->capture_default_str();
  sub->add_option("--beta1", c->trial.beta1, "Adam beta1")->capture_default_str();
  sub->add_option("--beta2", c->trial.beta2, "Adam beta2")->capture_default_str();
  sub->add_option("--eps", c->trial.eps, "Adam epsilon (damping delta)")->capture_default_str();
  sub->add_option("--adam-warmup", c->trial.adam_warmup, "Adam: batches accumulated into the moments at lr 0 before each trial")
      ->capture_default_str();
  sub->add_option("--weight-decay", c->trial.weight_decay, "L2 weight decay of the optimiser")->capture_default_str();
  sub->add_option("--batch-sizes", c->batch_sizes, "Comma-separated batch sizes")->capture_default_str();
  sub->add_option("--steps", c->trial.steps, "Steps per trial (the budget)")->capture_default_str();
  sub->add_option("--divergence-factor", c->trial.divergence_factor,
                  "Diverged when the monitor loss exceeds this multiple of its start (100: see docs/learning-rates.md)")
      ->capture_default_str();
  sub->add_option("--monitor-size", c->trial.monitor_size, "Training items of the fixed monitor set")->capture_default_str();
  sub->add_option("--monitor-every", c->trial.monitor_every, "Steps between monitor losses")->capture_default_str();
  sub->add_option("--seeds", c->seeds, "Seeds per learning rate (stable iff no seed diverges)")->capture_default_str();
  sub->add_option("--bisections", c->bisections, "Bisections of log lr after bracketing")->capture_default_str();
  sub->add_option("--growth", c->growth, "Bracketing factor")->capture_default_str();
  sub->add_option("--lr-start", c->lr_start, "First probe (0: the prediction, else 0.01)")->capture_default_str();
  sub->add_option("--lr-min", c->lr_min, "Smallest learning rate tried")->capture_default_str();
  sub->add_option("--lr-max", c->lr_max, "Largest learning rate tried")->capture_default_str();
  sub->add_option("--subsets", c->subsets, "Subsets per B for the batch spectrum")->capture_default_str();
  sub->add_option("--lanczos-steps", c->lanczos_steps, "Lanczos steps per batch operator")->capture_default_str();
  sub->add_option("--full-lanczos-steps", c->full_lanczos_steps, "Lanczos steps of the full-data operator")->capture_default_str();
  sub->add_option("--gradient-samples", c->gradient_samples, "Adam: per-sample gradients for the second-moment variance")
      ->capture_default_str();
  sub->add_flag("--no-prediction", c->no_prediction, "Skip the spectrum (no predicted values)");
  sub->add_option("--device", c->device, "cpu | cuda | cuda:K")->capture_default_str();
  batchrmt::app::add_run_switches(sub, c->run, "Continue an interrupted --out file: complete batch sizes are read back");
  sub->callback([c, &global] { run_lr_sweep_cli(global, *c); });
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(lr_sweep, 55, register_lr_sweep)
