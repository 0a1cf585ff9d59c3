#include "verify/network_claims.hpp"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#ifdef BATCHRMT_WITH_TORCH
#include "networks/curvature.hpp"
#include "networks/curvature_store.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"
#include "outputs/store.hpp"
#endif
#include "core/errors.hpp"
#include "core/mpi_context.hpp"
#include "core/provenance.hpp"

namespace batchrmt::verify {

#ifdef BATCHRMT_WITH_TORCH

namespace {

// A key of case `name`: [c5.<name>] when the file sets it there, else the shared [c5] value.
struct CaseKeys {
  const Config& c;
  std::string name;
  std::string key(const std::string& k) const {
    const std::string own = "c5." + name + "." + k;
    return c.has(own) ? own : "c5." + k;
  }
  std::string text(const std::string& k, const std::string& fb) const { return c.text(key(k), fb); }
  std::int64_t integer(const std::string& k, std::int64_t fb) const { return c.integer(key(k), fb); }
  double number(const std::string& k, double fb) const { return c.number(key(k), fb); }
  std::vector<std::int64_t> integers(const std::string& k, const std::vector<std::int64_t>& fb) const {
    return c.integers(key(k), fb);
  }
};

struct CaseOutcome {
  std::string label;  // series prefix: the case name, with _e<epoch> when several epochs are measured
  networks::SpectrumResult spectrum;
  std::vector<double> z;      // per batch row (NaN for full)
  std::vector<bool> judged;   // q_B <= perturbative_q
  int within = 0, judged_count = 0;
  double seconds = 0;
  std::string training;       // how the weights were obtained
  std::string work_file;      // the per-subset spectrum file (empty without run.work_dir)
};

std::string slug(const std::string& s) {
  std::string o;
  for (char ch : s) o += std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ? ch : '-';
  return o;
}

// Judges every batch row of a measured spectrum (THEORY.md 5.7 and 3.4).
void judge(const Config& c, CaseOutcome& out) {
  const double q_max = c.number("c5.perturbative_q", 0.5);
  const double rel_budget = c.number("c5.relative_budget", 0.1);
  for (const auto& row : out.spectrum.rows) {
    double z = std::numeric_limits<double>::quiet_NaN();
    bool judged = false;
    if (!row.full && std::isfinite(row.predicted_top) && std::isfinite(row.top_se) && row.top_se > 0) {
      // Budget: the first- vs second-order difference (model uncertainty of the expansion)
      // plus `relative_budget` of the predicted shift.
      const double shift = row.predicted_top - out.spectrum.lambda_full;
      // (The second-order form is NaN where the top eigenvalue is degenerate, e.g. the linear
      // model at initialisation, whose Hessian is a Kronecker product with a (C-1)-fold top.)
      const double order_gap = std::isfinite(row.predicted_top_second) ? std::abs(row.predicted_top_second - row.predicted_top) : 0.0;
      const double budget = order_gap + rel_budget * std::abs(shift);
      const auto t = z_test(row.predicted_top, row.top_mean, row.top_se, budget);
      z = t.z;
      judged = row.q <= q_max;
      if (judged) {
        ++out.judged_count;
        out.within += t.passed;
      }
    }
    out.z.push_back(z);
    out.judged.push_back(judged);
  }
}

// One network case of [c5]: its data, its weights (initialisation, or SGD with checkpoints), and
// the spectrum at every epoch of `measure_epochs`. Returns the reason instead when the data are
// absent (the case is then "not measured").
std::string run_case(const Config& c, const std::string& name, std::uint64_t seed, std::vector<CaseOutcome>& outcomes) {
  const CaseKeys k{c, name};
  const std::string model_default = name == "linear_init" ? "linear" : name == "lenet_trained" ? "lenet" : "";
  const std::string model_name = k.text("model", model_default);
  if (model_name.empty())
    throw InvalidInput(c.source() + ": c5 case '" + name + "' has no model; set c5." + name + ".model (one of linear, mlp, lenet, "
                       "vgg16, vgg16bn, wrn, preresnet).");
  networks::DataOptions data_opt;
  data_opt.name = k.text("dataset", "fashion-mnist");
  data_opt.data_dir = k.text("data_dir", c.text("run.data_dir", ""));
  data_opt.normalize = networks::parse_normalize(k.text("normalize", "per-channel"));
  data_opt.train_subset = static_cast<std::size_t>(k.integer("train_subset", 4096));
  data_opt.test_subset = static_cast<std::size_t>(k.integer("test_subset", 1000));
  data_opt.augment = k.text("augment", "off");  // training only: spectra use the test-time transform
  data_opt.image_folder.side = static_cast<int>(k.integer("image_side", 32));
  data_opt.subset_seed = seed;
  data_opt.synthetic.seed = seed;
  // The model is resolved from the dataset's signature first, so a bad model name, depth or
  // device is an error of the configuration even when the data are absent.
  const std::string device = networks::checked_device(
      networks::device_for_local_rank(k.text("device", c.text("run.device", "cpu")), MpiContext::instance().local_rank()));
  networks::ModelSpec spec;
  spec.name = model_name;
  const auto signature = networks::dataset_signature(data_opt);
  spec.input_shape = signature.input_shape;
  spec.classes = signature.classes;
  spec.depth = static_cast<int>(k.integer("depth", 0));
  spec.width = static_cast<int>(k.integer("width", 0));
  spec.seed = seed;
  spec = spec.resolved();
  const auto batchnorm = networks::parse_batchnorm_policy(k.text("batchnorm", "eval"));
  networks::DataSplits data;
  try {
    data = networks::load_dataset(data_opt);
  } catch (const Error& e) {
    return name + ": " + data_opt.name + " could not be read (" + e.what() + ")";
  }
  networks::Model model = networks::Model::create(spec, device);

  // Training (THEORY.md 6.2's protocol when the case asks for it): checkpoints in the work
  // folder, so an interrupted run resumes bit for bit; the spectra are measured on them.
  const int epochs = static_cast<int>(k.integer("epochs", name == "lenet_trained" ? 2 : 0));
  std::vector<std::int64_t> measure = k.integers("measure_epochs", {epochs});
  for (auto e : measure)
    if (e < 0 || e > epochs)
      throw InvalidInput(c.source() + ": c5." + name + ".measure_epochs holds " + std::to_string(e) + ", but every epoch must be in [0, " +
                         std::to_string(epochs) + "] (the case's epochs).");
  const std::string work = c.text("run.work_dir", "");
  // `reproduce` under mpirun runs C5 on every rank together (run.over_ranks): rank 0 trains and
  // writes the checkpoints, the other ranks read them from the (shared) work folder, and every
  // spectrum's products are spread over the ranks (networks/data_parallel.hpp).
  const auto& mpi = MpiContext::instance();
  const bool together = c.flag("run.over_ranks", false) && mpi.active() && !work.empty();
  const bool leader = !together || mpi.is_writer();
  std::string checkpoint_dir;
  std::optional<std::filesystem::path> scratch;
  networks::TrainOptions t;
  std::string training = "initialisation (seed " + std::to_string(seed) + ")";
  if (epochs > 0) {
    t.epochs = epochs;
    t.batch_size = k.integer("batch_size", 128);
    t.optimizer = k.text("optimizer", "sgd");
    t.lr = k.number("lr", 0.05);
    t.momentum = k.number("momentum", 0.9);
    t.weight_decay = k.number("weight_decay", 0.0);
    t.schedule = k.text("schedule", "constant");
    t.checkpoint_every = static_cast<int>(k.integer("checkpoint_every", epochs));
    t.evaluate_test = true;
    t.seed = seed;
    if (!work.empty()) {
      checkpoint_dir = (std::filesystem::path(work) / ("c5-" + slug(name) + ".checkpoints")).string();
    } else {
      scratch = std::filesystem::temp_directory_path() / ("batchrmt-c5-" + slug(name) + "-" + std::to_string(::getpid()));
      checkpoint_dir = scratch->string();
    }
    std::int64_t diverged = 0;
    if (leader) {
      std::filesystem::create_directories(checkpoint_dir);
      t.checkpoint_dir = checkpoint_dir;
      t.resume = !networks::list_checkpoints(checkpoint_dir).empty();
      const auto tr = networks::train(model, data, t);
      const double acc = tr.history.empty() ? 0.0 : tr.history.back().test_accuracy;
      training = t.optimizer + " lr " + format_number(t.lr) + " momentum " + format_number(t.momentum) + " weight decay " +
                 format_number(t.weight_decay) + ", schedule " + t.schedule + ", " + std::to_string(t.epochs) + " epochs of batch " +
                 std::to_string(t.batch_size) + " on the same " + std::to_string(data.train.size()) + " images (test accuracy " +
                 format_number(100 * acc, 3) + "%, status " + tr.status + ")";
      diverged = tr.status == "diverged" ? 1 : 0;
    }
    if (together) mpi.broadcast(diverged);  // also: the checkpoints are written
    if (diverged) {
      if (scratch) std::filesystem::remove_all(*scratch);
      return name + ": training diverged (" + training + ")";
    }
  }

  for (const auto epoch : measure) {
    const auto t0 = std::chrono::steady_clock::now();
    CaseOutcome out;
    out.label = measure.size() > 1 ? name + "_e" + std::to_string(epoch) : name;
    networks::Model at = model;
    if (epochs > 0 && (epoch != epochs || !leader))
      at = networks::load_checkpoint_model(networks::checkpoint_path(checkpoint_dir, static_cast<int>(epoch)), -1, device);
    out.training = epoch == 0 ? "initialisation (seed " + std::to_string(seed) + ")" : training + ", measured after epoch " + std::to_string(epoch);
    const std::int64_t bn_batch = k.integer("recompute_bn_batch", 0);
    if (bn_batch > 0 && at.has_batchnorm()) {
      networks::recompute_batchnorm(at, data.train, data.test_transform, bn_batch);
      out.training += "; BatchNorm statistics recomputed over the population (batches of " + std::to_string(bn_batch) + ")";
    }
    networks::SpectrumRequest req;
    req.model = at;
    req.data = data.train;
    req.transform = data.test_transform;
    req.batch_sizes = k.integers("batch_sizes", {8, 32, 128, 512, networks::kFullBatch});
    req.subsets = static_cast<int>(k.integer("subsets", 5));
    req.lanczos_steps = static_cast<std::size_t>(k.integer("lanczos_steps", 30));
    req.full_lanczos_steps = static_cast<std::size_t>(k.integer("full_lanczos_steps", 40));
    req.noise_samples = static_cast<std::size_t>(k.integer("noise_samples", 400));
    req.curvature.dtype = networks::parse_compute_dtype(k.text("dtype", "float32"));
    req.curvature.reuse = networks::parse_graph_reuse(k.text("graph_reuse", "auto"));
    req.curvature.chunk_size = k.integer("chunk_size", 512);
    req.curvature.device = device;
    req.curvature.batchnorm = batchnorm;
    const std::string basis = k.text("basis", "float64");  // Lanczos basis storage (THEORY.md 5.5)
    if (basis != "float64" && basis != "float32")
      throw InvalidInput(c.source() + ": c5." + name + ".basis is '" + basis + "', but must be float64 or float32.");
    req.fp32_basis = basis == "float32";
    req.lanczos_basis =
        networks::parse_lanczos_basis(k.text("lanczos_basis", "auto"), c.source() + ": c5." + name + ".lanczos_basis");
    req.seed = seed;
    req.attributes["model"] = spec.describe();
    req.attributes["dataset"] = data.description;
    req.attributes["weights"] = out.training;
    req.over_ranks = together;
    if (!work.empty() && leader) {
      // Every (B, subset) run is a unit of this file: an interrupted claim resumes there.
      std::filesystem::create_directories(work);
      out.work_file = (std::filesystem::path(work) / ("c5-" + slug(out.label) + ".h5")).string();
      outputs::Store store = outputs::Store::open(out.work_file, collect_provenance({"batchrmt", "reproduce", "(C5 " + out.label + ")"}, seed, 1),
                                                  outputs::OpenMode::resume);
      out.spectrum = networks::measure_spectrum(req, &store);
      store.commit();
    } else {
      out.spectrum = networks::measure_spectrum(req, nullptr);
    }
    judge(c, out);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    outcomes.push_back(std::move(out));
  }
  if (scratch) std::filesystem::remove_all(*scratch);
  return "";
}

}  // namespace

ClaimResult claim_real_network(const Config& c, std::uint64_t seed) {
  const auto start = std::chrono::steady_clock::now();
  ClaimResult r;
  r.id = "C5";
  r.name = "real networks: measured top eigenvalue per B vs lambda + kappa_B V_phi / lambda";
  const std::vector<std::string> names = c.texts("c5.cases", {"linear_init", "lenet_trained"});
  int judged = 0, within = 0;
  std::string note, absent, labels;
  bool headline_set = false;
  std::vector<CaseOutcome> outcomes;
  for (const auto& name : names) {
    const std::string reason = run_case(c, name, seed, outcomes);
    if (!reason.empty()) absent += (absent.empty() ? "" : "; ") + reason;
  }
  for (const auto& o : outcomes) {
    const std::string name = o.label;
    labels += (labels.empty() ? "" : ",") + name;
    const auto& s = o.spectrum;
    std::vector<double> B, kappa, top, se, pred, pred2, q, zv, bottom, bottom_se;
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
      const auto& row = s.rows[i];
      B.push_back(static_cast<double>(row.B));
      kappa.push_back(row.kappa);
      top.push_back(row.top_mean);
      se.push_back(row.top_se);
      pred.push_back(row.predicted_top);
      pred2.push_back(row.predicted_top_second);
      q.push_back(row.q);
      zv.push_back(o.z[i]);
      bottom.push_back(row.bottom_mean);
      bottom_se.push_back(row.bottom_se);
    }
    const std::string p = name + "_";
    r.series[p + "B"] = B;
    r.series[p + "kappa"] = kappa;
    r.series[p + "top_mean"] = top;
    r.series[p + "top_se"] = se;
    r.series[p + "bottom_mean"] = bottom;
    r.series[p + "bottom_se"] = bottom_se;
    r.series[p + "predicted_top"] = pred;
    r.series[p + "predicted_top_second"] = pred2;
    r.series[p + "q"] = q;
    r.series[p + "z"] = zv;
    r.scalars[p + "lambda_full"] = s.lambda_full;
    r.scalars[p + "lambda_full_residual"] = s.lambda_full_residual;
    r.scalars[p + "N"] = static_cast<double>(s.N);
    r.scalars[p + "P"] = static_cast<double>(s.P);
    r.scalars[p + "seconds"] = o.seconds;
    if (s.noise_top) {
      r.scalars[p + "v_phi"] = s.noise_top->v_phi;
      r.scalars[p + "v_phi_se"] = s.noise_top->v_phi_se;
      r.scalars[p + "w_phi"] = s.noise_top->w_phi;
    }
    r.labels[p + "training"] = o.training;
    if (!o.work_file.empty()) r.labels[p + "spectrum_file"] = o.work_file;
    judged += o.judged_count;
    within += o.within;
    // Headline: the smallest judged B of the first case.
    for (std::size_t i = 0; i < s.rows.size() && !headline_set; ++i) {
      if (!o.judged[i]) continue;
      r.prediction = s.rows[i].predicted_top;
      r.measurement = s.rows[i].top_mean;
      r.stderr_ = s.rows[i].top_se;
      r.z = o.z[i];
      r.scalars["headline_B"] = static_cast<double>(s.rows[i].B);
      headline_set = true;
    }
    note += name + " (" + o.training + ", P=" + std::to_string(s.P) + ", N=" + std::to_string(s.N) + "): lambda_full=" +
            format_number(s.lambda_full) + (s.noise_top ? ", V_phi=" + format_number(s.noise_top->v_phi) + " +- " + format_number(s.noise_top->v_phi_se, 2) : "") +
            "; per B (measured vs first-order prediction, q): ";
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
      const auto& row = s.rows[i];
      if (row.full) continue;
      note += "B=" + std::to_string(row.B) + " " + format_number(row.top_mean) + "+-" + format_number(row.top_se, 2) + " vs " + format_number(row.predicted_top) +
              " (q=" + format_number(row.q, 2) + (o.judged[i] ? "" : ", not judged") + ", z=" + format_number(o.z[i], 3) + "); ";
    }
    note += "[" + format_number(o.seconds, 3) + " s]. ";
  }
  r.scalars["judged_batch_sizes"] = judged;
  r.scalars["within_tolerance"] = within;
  r.labels["cases"] = labels;
  if (!absent.empty()) {
    r.labels["not_measured"] = absent;
    note += "Not measured: " + absent + ". ";
  }
  if (outcomes.empty()) {
    r.verdict = Verdict::not_measured;
    note = "no case could be measured. " + note;
  } else if (judged == 0) {
    r.verdict = Verdict::outside_regime;
    note = "no batch size has q_B = kappa V_phi / lambda^2 <= " + format_number(c.number("c5.perturbative_q", 0.5)) +
           ": the top eigenvalue is not a perturbed outlier there (THEORY.md 3), so the first-order prediction is not tested. " + note;
  } else {
    r.verdict = within == judged ? Verdict::agrees : Verdict::disagrees;
    note = std::to_string(within) + " of " + std::to_string(judged) +
           " judged (B, network) points within 4 se + budget (|second - first order| + " + format_number(100 * c.number("c5.relative_budget", 0.1), 2) +
           "% of the shift); points with q_B > " + format_number(c.number("c5.perturbative_q", 0.5)) + " are reported, not judged. " + note;
  }
  r.note = note;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

#else

ClaimResult claim_real_network(const Config&, std::uint64_t) {
  return not_measured("C5", "real networks: measured top eigenvalue per B vs lambda + kappa_B V_phi / lambda",
                      "this build has no LibTorch (configure with -DBATCHRMT_WITH_TORCH=ON): no networks to measure");
}

#endif

}  // namespace batchrmt::verify
