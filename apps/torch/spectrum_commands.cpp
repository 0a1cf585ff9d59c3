// `batchrmt spectrum`: full-data and batch Hessian / GGN spectra of a network with the
// per-sample noise V_phi and the first-order prediction beside each measurement (docs/curvature.md;
// docs/theory.md 5). The measurement is verify/spectrum_measurement.hpp's measure_spectrum; the HDF5
// layout is documented there and in docs/curvature.md. No LibTorch headers here.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "apps/cli_lists.hpp"
#include "apps/command_registry.hpp"
#include "apps/run_identity.hpp"
#include "apps/output_checks.hpp"
#include "apps/runtime.hpp"
#include "apps/torch/network_options.hpp"
#include "apps/torch/train_run_info.hpp"
#include "core/errors.hpp"
#include "core/mpi_context.hpp"
#include "core/system.hpp"
#include "core/rng.hpp"
#include "networks/curvature.hpp"
#include "verify/spectrum_measurement.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"
#include "outputs/store.hpp"

namespace {

namespace nw = batchrmt::networks;
namespace outputs = batchrmt::outputs;
using batchrmt::InvalidInput;
using batchrmt::app::GlobalOptions;
using nlohmann::json;

struct SpectrumCli : batchrmt::app::MeasuredModelOptions {
  std::string curvature = "hessian", loss = "cross-entropy", batchnorm = "eval", dtype = "auto", reuse = "auto";
  std::string layers;
  std::int64_t chunk_size = 512;
  std::string batch_sizes = "full";
  int subsets = 10;
  std::size_t lanczos_steps = 100, full_lanczos_steps = 0, noise_samples = 0, spikes = 0, top_k = 0, slq_probes = 0;
  std::string device = "cpu";
  bool self_check = false, no_vectors = false;
  batchrmt::app::RunSwitches run;
  std::size_t self_check_samples = 256;
  std::size_t fluctuation_steps = 0;
  std::string reorth = "full", basis = "float64", lanczos_basis = "auto";
  std::int64_t recompute_bn_batch = 0;
};

json num(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

std::string fmt(double x, int p = 6) {
  if (!std::isfinite(x)) return "-";
  std::ostringstream os;
  os << std::setprecision(p) << x;
  return os.str();
}

// Sizes checked against the model's P and the memory limit before any work (docs/reliability.md, "Bounds before work").
void check_sizes(const SpectrumCli& c, std::int64_t P, std::size_t N) {
  const auto p = static_cast<std::size_t>(P);
  const std::string of_p = " (P = " + std::to_string(P) + ", the parameter count)";
  if (c.subsets < 1) throw InvalidInput("--subsets is " + std::to_string(c.subsets) + ", but must be at least 1.");
  if (c.lanczos_steps < 2 || c.lanczos_steps > p)
    throw InvalidInput("--lanczos-steps is " + std::to_string(c.lanczos_steps) + ", but must lie in [2, " + std::to_string(P) + "]" + of_p + ".");
  if (c.full_lanczos_steps > p)
    throw InvalidInput("--full-lanczos-steps is " + std::to_string(c.full_lanczos_steps) + ", but must be at most " + std::to_string(P) + of_p + ".");
  if (c.top_k > 0 && c.top_k + 1 > p)
    throw InvalidInput("--top-k is " + std::to_string(c.top_k) + ", but must be below " + std::to_string(P) + of_p + ".");
  if (c.fluctuation_steps > p)
    throw InvalidInput("--fluctuation-steps is " + std::to_string(c.fluctuation_steps) + ", but must be at most " + std::to_string(P) + of_p + ".");
  if (c.noise_samples > N)
    throw InvalidInput("--noise-samples is " + std::to_string(c.noise_samples) + ", but the population has " + std::to_string(N) + " samples.");
  const double steps = static_cast<double>(std::max({c.lanczos_steps, c.full_lanczos_steps, c.fluctuation_steps}));
  const double Pd = static_cast<double>(P);
  // Lanczos basis (steps x P doubles), Spectra's 2k+1 vectors for --top-k, and the stored
  // record of every subset (alpha, beta, Ritz values and residuals: ~4 steps doubles each).
  batchrmt::check_memory_budget("--lanczos-steps " + std::to_string(static_cast<std::size_t>(steps)) + " with P = " + std::to_string(P),
                                8.0 * steps * Pd);
  if (c.top_k > 0)
    batchrmt::check_memory_budget("--top-k " + std::to_string(c.top_k) + " with P = " + std::to_string(P),
                                  8.0 * (2.0 * static_cast<double>(c.top_k) + 1.0) * Pd);
  const double batch_sizes = static_cast<double>(std::count(c.batch_sizes.begin(), c.batch_sizes.end(), ',') + 1);
  batchrmt::check_memory_budget("--subsets " + std::to_string(c.subsets) + " (x " + std::to_string(static_cast<int>(batch_sizes)) +
                                    " batch sizes of records)",
                                static_cast<double>(c.subsets) * batch_sizes * (4.0 * steps * 8.0 + 4096.0));
}

nw::CurvatureOptions curvature_options_of(const SpectrumCli& c) {
  nw::CurvatureOptions co;
  co.kind = nw::parse_curvature_kind(c.curvature);
  co.loss = nw::parse_loss_kind(c.loss);
  co.batchnorm = nw::parse_batchnorm_policy(c.batchnorm);
  co.dtype = nw::parse_compute_dtype(c.dtype);
  co.reuse = nw::parse_graph_reuse(c.reuse);
  co.chunk_size = c.chunk_size;
  co.device = c.device;
  if (!c.layers.empty()) co.layers = batchrmt::app::split_commas(c.layers);
  return co;
}

// --self-check: the operator's products against dense float64 references on a few hundred
// samples (networks/curvature_check.cpp); NumericalFailure when a check fails.
void run_self_check(const GlobalOptions& global, const SpectrumCli& c, const nw::Model& model, const nw::DataSplits& data,
                    const nw::Dataset& train, const nw::CurvatureOptions& co, const std::function<void(const std::string&)>& log) {
  nw::CurvatureOptions sc = co;
  sc.dtype = nw::ComputeDtype::float64;
  const std::size_t n = std::min(train.size(), c.self_check_samples);
  const auto idx = batchrmt::batch_indices(train.size(), n, global.seed, nw::kSubsetStream);
  const nw::CurvatureOperator op(model, train, data.test_transform, idx, sc);
  log("self-check on " + std::to_string(n) + " samples, P = " + std::to_string(op.rows()) + ", float64");
  const auto rep = nw::curvature_self_check(op, global.seed);
  json items = json::array();
  for (const auto& i : rep.items)
    items.push_back({{"name", i.name}, {"value", num(i.value)}, {"tolerance", i.tolerance}, {"passed", i.passed},
                     {"detail", i.detail}});
  json j{{"self_check", items}, {"passed", rep.passed()}, {"model", model.spec().describe()},
         {"parameters", op.rows()}, {"samples", n}};
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    for (const auto& i : rep.items)
      os << (i.passed ? "pass  " : "FAIL  ") << std::left << std::setw(30) << i.name << " " << std::setw(12)
         << fmt(i.value, 3) << " <= " << fmt(i.tolerance, 3) << "   " << i.detail << "\n";
    os << (rep.passed() ? "all checks passed" : "some checks FAILED") << "\n";
  });
  if (!rep.passed()) throw batchrmt::NumericalFailure("the curvature self-check failed (see the list above).");
}

// The measurement's request from the options (validated here, before any work).
nw::SpectrumRequest request_of(const GlobalOptions& global, const SpectrumCli& c, const nw::Model& model,
                               const nw::DataSplits& data, const nw::Dataset& train, const nw::CurvatureOptions& co,
                               const std::map<std::string, std::string>& attrs,
                               const std::function<void(const std::string&)>& log) {
  nw::SpectrumRequest rq;
  rq.model = model;
  rq.data = train;
  rq.transform = data.test_transform;
  rq.curvature = co;
  rq.batch_sizes.clear();
  for (const auto& item : batchrmt::app::split_commas(c.batch_sizes)) {
    if (item == "full") {
      rq.batch_sizes.push_back(nw::kFullBatch);
    } else {
      const auto v = batchrmt::app::parse_int_list("--batch-sizes", item);
      if (v.at(0) < 1) throw InvalidInput("--batch-sizes holds " + item + ", but batch sizes must be 'full' or positive.");
      rq.batch_sizes.push_back(v.at(0));
    }
  }
  rq.subsets = c.subsets;
  rq.lanczos_steps = c.lanczos_steps;
  rq.full_lanczos_steps = c.full_lanczos_steps;
  rq.noise_samples = c.noise_samples;
  rq.spikes = c.spikes;
  rq.top_k = c.top_k;
  rq.slq_probes = c.slq_probes;
  rq.fluctuation_steps = c.fluctuation_steps;
  if (c.reorth != "full" && c.reorth != "selective")
    throw InvalidInput("--reorth is '" + c.reorth + "', but must be full or selective.");
  if (c.basis != "float64" && c.basis != "float32")
    throw InvalidInput("--basis is '" + c.basis + "', but must be float64 or float32.");
  rq.selective_reorthogonalization = c.reorth == "selective";
  rq.fp32_basis = c.basis == "float32";
  rq.lanczos_basis = nw::parse_lanczos_basis(c.lanczos_basis);
  rq.store_vectors = !c.no_vectors;
  rq.seed = global.seed;
  rq.attributes = attrs;
  rq.log = log;
  rq.over_ranks = true;  // collective under mpirun, the plain run otherwise
  return rq;
}

// The result as JSON (--json) or a table.
void report_spectrum(const GlobalOptions& global, const SpectrumCli& c, const nw::Model& model, const nw::DataSplits& data,
                     const nw::SpectrumResult& r, const std::string& out) {
  json rows = json::array();
  for (const auto& row : r.rows) {
    json o{{"B", row.full ? json("full") : json(row.B)},
           {"kappa", num(row.kappa)},
           {"top_mean", num(row.top_mean)},
           {"top_se", num(row.top_se)},
           {"bottom_mean", num(row.bottom_mean)},
           {"bottom_se", num(row.bottom_se)},
           {"subsets", row.subsets.size()}};
    std::vector<double> tr;
    for (const auto& m : row.subsets) tr.push_back(m.top_residual);
    o["top_residual_max"] = num(tr.empty() ? NAN : *std::max_element(tr.begin(), tr.end()));
    if (c.fluctuation_steps > 0 && !row.full) {
      o["eps_top_mean"] = num(row.eps_top_mean);
      o["eps_top_se"] = num(row.eps_top_se);
      o["eps_bottom_mean"] = num(row.eps_bottom_mean);
      o["weyl_min_slack"] = num(row.weyl_min_slack);
    }
    if (r.noise_top) {
      o["v_phi"] = num(r.noise_top->v_phi);
      o["v_phi_se"] = num(r.noise_top->v_phi_se);
      o["predicted_top"] = num(row.predicted_top);
      o["predicted_top_second"] = num(row.predicted_top_second);
      o["predicted_top_sd"] = num(row.predicted_top_sd);
      o["q"] = num(row.q);
      o["predicted_bottom"] = num(row.predicted_bottom);
    }
    rows.push_back(o);
  }
  json j{{"rows", rows},
         {"out", out},
         {"N", r.N},
         {"P", r.P},
         {"model", model.spec().describe()},
         {"curvature", c.curvature},
         {"lambda_full", num(r.lambda_full)},
         {"lambda_full_residual", num(r.lambda_full_residual)}};
  if (const auto it = r.conventions.find("lanczos_basis"); it != r.conventions.end()) j["lanczos_basis"] = it->second;
  if (r.noise_top) {
    j["v_phi"] = num(r.noise_top->v_phi);
    j["v_phi_se"] = num(r.noise_top->v_phi_se);
    j["w_phi"] = num(r.noise_top->w_phi);
    j["w_phi_se"] = num(r.noise_top->w_phi_se);
    j["noise_samples"] = r.noise_top->samples;
  }
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "spectrum of the " << c.curvature << " of " << model.spec().describe() << " (P = " << r.P << ") on "
       << data.description << " (N = " << r.N << ")\n";
    if (std::isfinite(r.lambda_full))
      os << "full data: top " << fmt(r.lambda_full) << " (residual " << fmt(r.lambda_full_residual, 2) << "), bottom "
         << fmt(r.bottom_full) << "\n";
    if (r.noise_top)
      os << "V_phi " << fmt(r.noise_top->v_phi) << " +- " << fmt(r.noise_top->v_phi_se, 2) << ", W_phi "
         << fmt(r.noise_top->w_phi) << " (" << r.noise_top->samples << " samples)\n";
    os << std::left << std::setw(8) << "B" << std::setw(5) << "K" << std::setw(14) << "top" << std::setw(11) << "se"
       << std::setw(14) << "predicted" << std::setw(14) << "2nd order" << std::setw(11) << "q_B" << std::setw(14)
       << "bottom" << "se\n";
    for (const auto& row : r.rows)
      os << std::setw(8) << (row.full ? std::string("full") : std::to_string(row.B)) << std::setw(5)
         << row.subsets.size() << std::setw(14) << fmt(row.top_mean) << std::setw(11) << fmt(row.top_se, 3)
         << std::setw(14) << fmt(row.predicted_top) << std::setw(14) << fmt(row.predicted_top_second) << std::setw(11)
         << fmt(row.q, 3) << std::setw(14) << fmt(row.bottom_mean) << fmt(row.bottom_se, 3) << "\n";
    os << "results " << out << "\n";
  });
}

void run_spectrum(const GlobalOptions& global, SpectrumCli c) {
  batchrmt::app::apply_runtime_settings(global);
  // Under mpirun every rank loads the model and the data; rank 0 leads and writes
  // (networks/data_parallel.hpp), the others only compute their shares; "cuda" spreads the
  // ranks of a node over its GPUs.
  const auto& mpi = batchrmt::MpiContext::instance();
  c.device = nw::checked_device(nw::device_for_local_rank(c.device, mpi.local_rank()));
  const bool verbose = !global.json && !c.run.quiet && mpi.is_writer();
  auto log = [&](const std::string& m) {
    if (verbose) std::cerr << "spectrum: " << m << std::endl;
  };

  if (c.run.resume && c.run.overwrite) throw InvalidInput("--resume and --overwrite were both given, but at most one is allowed.");
  if (!global.out.empty()) batchrmt::app::check_out_path(global.out);

  // ---- the model and its data
  batchrmt::app::MeasuredModel measured = batchrmt::app::resolve_measured_model(c, global, log);
  nw::Model& model = measured.model;
  const nw::DataSplits& data = measured.data;
  const nw::Dataset& train = measured.train;
  std::map<std::string, std::string>& attrs = measured.attrs;
  if (measured.run_subset_size > 0)
    attrs["population"] = "the training subset of the run (" + std::to_string(measured.run_subset_size) + " items)";
  if (c.recompute_bn_batch > 0 && model.has_batchnorm()) {
    log("recomputing the BatchNorm running statistics over the population (batches of " +
        std::to_string(c.recompute_bn_batch) + ", test-time transform)");
    nw::recompute_batchnorm(model, train, data.test_transform, c.recompute_bn_batch);
    attrs["batchnorm_statistics"] = "recomputed over the population, batches of " + std::to_string(c.recompute_bn_batch) +
                                    ", test-time transform (cumulative average)";
  } else {
    attrs["batchnorm_statistics"] = model.has_batchnorm() ? "as stored in the model" : "none (no BatchNorm)";
  }
  attrs["model"] = model.spec().describe();
  attrs["model_spec"] = model.spec().serialize();
  attrs["dataset"] = data.description;
  attrs["normalize"] = c.normalize;
  check_sizes(c, model.parameter_count(), train.size());

  const nw::CurvatureOptions co = curvature_options_of(c);

  // ---- self-check (rank 0 alone: it is a few hundred samples)
  if (c.self_check && !mpi.is_writer()) return;
  if (c.self_check) {
    run_self_check(global, c, model, data, train, co, log);
    return;
  }

  // ---- the measurement
  const nw::SpectrumRequest rq = request_of(global, c, model, data, train, co, attrs, log);
  if (!mpi.is_writer()) {
    batchrmt::verify::measure_spectrum(rq, nullptr);
    return;
  }
  // --subsets is not part of the identity: subset s is the same unit whatever the count, so a
  // resume with more subsets extends the run (the summary is recomputed over all of them).
  outputs::Store store = batchrmt::app::open_measurement_store(
      global, c.run, "results/spectrum-" + model.spec().name + "-" + c.data.name + ".h5", model.spec(), c.data, c.checkpoint,
      {true, {"--subsets"}, true}, log);
  const std::string out = store.final_path();
  const auto r = batchrmt::verify::measure_spectrum(rq, &store);
  store.commit();

  report_spectrum(global, c, model, data, r, out);
}

void register_spectrum(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand(
      "spectrum", "Full-data and batch Hessian/GGN spectra of a network by Lanczos, with the per-sample noise V_phi "
                  "and the predicted top eigenvalue per batch size (LibTorch)");
  auto c = std::make_shared<SpectrumCli>();
  batchrmt::app::add_measured_model_options(sub, *c);
  sub->add_option("--curvature", c->curvature, "hessian | ggn")->capture_default_str();
  sub->add_option("--loss", c->loss, "cross-entropy | squared (0.5 ||f - onehot||^2), mean over the subset")->capture_default_str();
  sub->add_option("--batchnorm", c->batchnorm, "eval (running statistics) | train (chunk statistics, buffers restored)")
      ->capture_default_str();
  sub->add_option("--dtype", c->dtype, "auto (float64 on cpu, float32 on cuda) | float32 | float64")->capture_default_str();
  sub->add_option("--chunk-size", c->chunk_size, "Samples per forward chunk (train-mode BN: the BN batch)")->capture_default_str();
  sub->add_option("--graph-reuse", c->reuse, "auto (when the subset fits one chunk) | always | never")->capture_default_str();
  sub->add_option("--layers", c->layers, "Restrict to parameters whose names start with these prefixes (comma-separated)");
  sub->add_option("--batch-sizes", c->batch_sizes, "Comma-separated: full and/or batch sizes, e.g. full,16,64,256")
      ->capture_default_str();
  sub->add_option("--subsets", c->subsets, "Independent subsets K per batch size")->capture_default_str();
  sub->add_option("--lanczos-steps", c->lanczos_steps, "Lanczos steps m per run")->capture_default_str();
  sub->add_option("--full-lanczos-steps", c->full_lanczos_steps, "Lanczos steps of the full-data run (0: --lanczos-steps)")
      ->capture_default_str();
  sub->add_option("--noise-samples", c->noise_samples, "Samples M for V_phi (0: no noise, no prediction)")->capture_default_str();
  sub->add_option("--spikes", c->spikes, "Top eigenpairs of H_full used as spikes in the second-order prediction (0: min(C-1, 10))")
      ->capture_default_str();
  sub->add_option("--top-k", c->top_k, "Also the top-k eigenvalues of each batch operator by Spectra (0: none)")->capture_default_str();
  sub->add_option("--slq-probes", c->slq_probes, "SLQ probes per batch operator (0: none)")->capture_default_str();
  sub->add_option("--fluctuation-steps", c->fluctuation_steps,
                  "Also Lanczos on eps_B = H_B - H_full per subset with this many steps, and the Weyl bound (0: no)")
      ->capture_default_str();
  sub->add_option("--recompute-bn-batch", c->recompute_bn_batch,
                  "Recompute BatchNorm running statistics over the population in batches of this size first (0: no)")
      ->capture_default_str();
  sub->add_option("--reorth", c->reorth, "Lanczos reorthogonalisation: full (2 passes) | selective (cheaper for large P)")
      ->capture_default_str();
  sub->add_option("--basis", c->basis, "Lanczos basis storage: float64 | float32 (half the memory and traffic)")
      ->capture_default_str();
  sub->add_option("--lanczos-basis", c->lanczos_basis,
                  "Where Lanczos keeps its basis: auto (the GPU for --device cuda with full reorthogonalisation, "
                  "else host memory) | host | device")
      ->capture_default_str();
  sub->add_option("--device", c->device, "cpu | cuda | cuda:K")->capture_default_str();
  sub->add_flag("--no-vectors", c->no_vectors, "Do not store the spike Ritz vectors of H_full");
  sub->add_flag("--self-check", c->self_check,
                "Run the operator checks (finite differences, symmetry, GGN = Hessian for linear, GGN PSD, chunking, "
                "per-sample mean) on the chosen model and report");
  sub->add_option("--self-check-samples", c->self_check_samples, "Samples of the self-check subset")->capture_default_str();
  batchrmt::app::add_run_switches(sub, c->run, "Continue an interrupted --out file: keep complete units");
  sub->callback([c, &global] { run_spectrum(global, *c); });
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(spectrum, 50, register_spectrum)
