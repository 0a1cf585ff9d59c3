#include "verify/network_case.hpp"

#ifdef BATCHRMT_WITH_TORCH
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "core/errors.hpp"
#include "core/mpi_context.hpp"
#include "core/provenance.hpp"
#include "verify/array_dataset.hpp"
#include "verify/spectrum_measurement.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"
#include "outputs/record.hpp"
#include "outputs/store.hpp"
#include "verify/statistics.hpp"

namespace batchrmt::verify {

namespace {

// A key of case `name`: [c5.<name>] when the file sets it there, else the shared [c5] value.
// Every value read is also recorded in `seen`, which identifies the case's measurement.
struct CaseKeys {
  const Config& c;
  std::string name;
  nlohmann::json seen = nlohmann::json::object();
  std::string key(const std::string& k) const {
    const std::string own = "c5." + name + "." + k;
    return c.has(own) ? own : "c5." + k;
  }
  std::string text(const std::string& k, const std::string& fb) { return (seen[k] = c.text(key(k), fb)).get<std::string>(); }
  std::int64_t integer(const std::string& k, std::int64_t fb) { return (seen[k] = c.integer(key(k), fb)).get<std::int64_t>(); }
  double number(const std::string& k, double fb) { return (seen[k] = c.number(key(k), fb)).get<double>(); }
  std::vector<std::int64_t> integers(const std::string& k, const std::vector<std::int64_t>& fb) {
    return (seen[k] = c.integers(key(k), fb)).get<std::vector<std::int64_t>>();
  }
};

std::string slug(const std::string& s) {
  std::string o;
  for (char ch : s) o += std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ? ch : '-';
  return o;
}

std::map<std::string, CaseRun>& case_cache() {
  static std::map<std::string, CaseRun> cache;
  return cache;
}

std::string default_model(const std::string& name) {
  if (name == "linear_init") return "linear";
  if (name == "lenet_trained") return "lenet";
  return "";
}

networks::TrainOptions training_options(CaseKeys& k, int epochs, std::uint64_t seed) {
  networks::TrainOptions t;
  t.epochs = epochs;
  t.batch_size = k.integer("batch_size", 128);
  t.optimizer = networks::parse_optimizer(k.text("optimizer", "sgd"), k.key("optimizer"));
  t.lr = k.number("lr", 0.05);
  t.momentum = k.number("momentum", 0.9);
  t.weight_decay = k.number("weight_decay", 0.0);
  t.schedule = networks::parse_lr_schedule(k.text("schedule", "constant"), k.key("schedule"));
  t.checkpoint_every = static_cast<int>(k.integer("checkpoint_every", epochs));
  t.evaluate_test = true;
  t.seed = seed;
  return t;
}

std::string describe_training(const networks::TrainOptions& t, std::size_t n, const networks::TrainResult& tr) {
  const double acc = tr.history.empty() ? 0.0 : tr.history.back().test_accuracy;
  return networks::to_string(t.optimizer) + " lr " + format_number(t.lr) + " momentum " + format_number(t.momentum) + " weight decay " +
         format_number(t.weight_decay) + ", schedule " + networks::to_string(t.schedule) + ", " + std::to_string(t.epochs) + " epochs of batch " +
         std::to_string(t.batch_size) + " on the same " + std::to_string(n) + " images (test accuracy " + format_number(100 * acc, 3) +
         "%, status " + networks::to_string(tr.status) + ")";
}

networks::SpectrumRequest spectrum_request(CaseKeys& k, const Config& c, const networks::Model& at, const networks::DataSplits& data,
                                           const std::string& device, std::uint64_t seed) {
  networks::SpectrumRequest req;
  req.model = at;
  req.data = data.train;
  req.transform = data.test_transform;
  // Built-in defaults equal configs/default.toml's [c5] (C6 and C7 start from these batch sizes).
  req.batch_sizes = k.integers("batch_sizes", {1, 2, 4, 8, 16, 32, 64, 128, 512, networks::kFullBatch});
  req.subsets = static_cast<int>(k.integer("subsets", 16));
  const auto per_batch = k.integers("subsets_per_batch", {});
  if (!per_batch.empty() && per_batch.size() != req.batch_sizes.size())
    throw InvalidInput(c.source() + ": c5." + k.name + ".subsets_per_batch has " + std::to_string(per_batch.size()) +
                       " entries, but must have one per batch size (" + std::to_string(req.batch_sizes.size()) + ").");
  req.subsets_per_batch.assign(per_batch.begin(), per_batch.end());
  req.lanczos_steps = static_cast<std::size_t>(k.integer("lanczos_steps", 30));
  req.full_lanczos_steps = static_cast<std::size_t>(k.integer("full_lanczos_steps", 40));
  req.noise_samples = static_cast<std::size_t>(k.integer("noise_samples", 1000));
  req.curvature.dtype = networks::parse_compute_dtype(k.text("dtype", "float32"));
  req.curvature.reuse = networks::parse_graph_reuse(k.text("graph_reuse", "auto"));
  req.curvature.chunk_size = k.integer("chunk_size", 512);
  req.curvature.device = device;
  req.curvature.batchnorm = networks::parse_batchnorm_policy(k.text("batchnorm", "eval"));
  const std::string basis = k.text("basis", "float64");  // Lanczos basis storage (docs/curvature.md)
  if (basis != "float64" && basis != "float32")
    throw InvalidInput(c.source() + ": c5." + k.name + ".basis is '" + basis + "', but must be float64 or float32.");
  req.fp32_basis = basis == "float32";
  req.lanczos_basis = networks::parse_lanczos_basis(k.text("lanczos_basis", "auto"), c.source() + ": c5." + k.name + ".lanczos_basis");
  req.seed = seed;
  return req;
}

// The units of a finished spectrum file, read without writing (a reader of a case that C5, maybe
// on another MPI rank, measured into the work folder); a unit it lacks is computed in memory.
class ReaderSink final : public networks::SpectrumSink {
 public:
  explicit ReaderSink(const std::string& path) : reader_(outputs::Reader::open(path)) {
    for (const auto& u : reader_.complete_units()) complete_.insert(u);
  }
  std::optional<RecordValues> load(const std::string& unit, const RecordValues& schema) override {
    const std::string key = unit.substr(1);
    if (!complete_.count(key) && !complete_.count(unit)) return std::nullopt;
    return outputs::read_values(reader_.root().group(key), schema);
  }
  void save(const std::string&, const RecordValues&) override {}

 private:
  outputs::Reader reader_;
  std::set<std::string> complete_;
};

}  // namespace

namespace {

// What a case measures: its data, device, model (resolved from the dataset's signature first,
// so a bad model name, depth or device is an error of the configuration even when the data are
// absent), training epochs and the epochs measured.
struct CaseSetup {
  networks::DataOptions data_opt;
  std::string device;
  networks::ModelSpec spec;
  int epochs = 0;
  std::vector<std::int64_t> measure;
};

CaseSetup resolve_case(CaseKeys& k, const Config& c, const std::string& name, std::uint64_t seed) {
  const std::string model_name = k.text("model", default_model(name));
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
  data_opt.data_file = k.text("data", "");
  const std::string key = c.source() + ": c5." + name + ".";
  load_array_dataset(data_opt, {key + "dataset", key + "data", key + "data_dir"});
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
  const int epochs = static_cast<int>(k.integer("epochs", name == "lenet_trained" ? 5 : 0));
  const std::vector<std::int64_t> measure = k.integers("measure_epochs", {epochs});
  for (auto e : measure)
    if (e < 0 || e > epochs)
      throw InvalidInput(c.source() + ": c5." + name + ".measure_epochs holds " + std::to_string(e) + ", but every epoch must be in [0, " +
                         std::to_string(epochs) + "] (the case's epochs).");
  return {data_opt, device, spec, epochs, measure};
}

}  // namespace

CaseRun measure_network_case(const Config& c, const std::string& name, std::uint64_t seed, CaseAccess access) {
  CaseKeys k{c, name};
  const CaseSetup setup = resolve_case(k, c, name, seed);
  const networks::DataOptions& data_opt = setup.data_opt;
  const std::string& device = setup.device;
  const networks::ModelSpec& spec = setup.spec;
  const int epochs = setup.epochs;
  const std::vector<std::int64_t>& measure = setup.measure;
  networks::TrainOptions t = training_options(k, epochs, seed);
  const std::int64_t bn_batch = k.integer("recompute_bn_batch", 0);
  // Reading the measurement keys now completes the case's identity before any work.
  {
    networks::DataSplits none;
    (void)spectrum_request(k, c, networks::Model(), none, device, seed);
  }
  const std::string work = c.text("run.work_dir", "");
  const std::string identity = k.seen.dump() + "|seed=" + std::to_string(seed) + "|work=" + work + "|" + name;
  if (auto hit = case_cache().find(identity); hit != case_cache().end()) return hit->second;

  CaseRun run;
  networks::DataSplits data;
  try {
    data = networks::load_dataset(data_opt);
  } catch (const Error& e) {
    run.absent = name + ": " + data_opt.name + " could not be read (" + e.what() + ")";
    return run;
  }
  networks::Model model = networks::Model::create(spec, device);

  // Training (docs/curvature.md's protocol when the case asks for it): checkpoints in the work
  // folder, so an interrupted run resumes bit for bit; the spectra are measured on them.
  // `reproduce` under mpirun runs C5 on every rank together (run.over_ranks): rank 0 trains and
  // writes the checkpoints, the other ranks read them from the (shared) work folder, and every
  // spectrum's products are spread over the ranks (networks/data_parallel.hpp).
  const auto& mpi = MpiContext::instance();
  const bool together = c.flag("run.over_ranks", false) && mpi.active() && !work.empty();
  const bool leader = !together || mpi.is_writer();
  std::string checkpoint_dir;
  std::optional<std::filesystem::path> scratch;
  std::string training = "initialisation (seed " + std::to_string(seed) + ")";
  if (epochs > 0) {
    if (!work.empty()) {
      checkpoint_dir = (std::filesystem::path(work) / ("c5-" + slug(name) + ".checkpoints")).string();
    } else {
      scratch = std::filesystem::temp_directory_path() / ("batchrmt-c5-" + slug(name) + "-" + std::to_string(::getpid()));
      checkpoint_dir = scratch->string();
    }
    std::int64_t diverged = 0;
    const std::string last = networks::checkpoint_path(checkpoint_dir, epochs);
    if (access == CaseAccess::read_existing && std::filesystem::exists(last)) {
      model = networks::load_checkpoint_model(last, -1, device);
      training = networks::to_string(t.optimizer) + " training of the case (checkpoint " + last + ")";
    } else if (leader) {
      std::filesystem::create_directories(checkpoint_dir);
      t.checkpoint_dir = checkpoint_dir;
      t.resume = !networks::list_checkpoints(checkpoint_dir).empty();
      const auto tr = networks::train(model, data, t);
      training = describe_training(t, data.train.size(), tr);
      diverged = tr.status == networks::TrainStatus::diverged ? 1 : 0;
    }
    if (together) mpi.broadcast(diverged);  // also: the checkpoints are written
    if (diverged) {
      if (scratch) std::filesystem::remove_all(*scratch);
      run.absent = name + ": training diverged (" + training + ")";
      return run;
    }
  }

  for (const auto epoch : measure) {
    const auto t0 = std::chrono::steady_clock::now();
    NetworkCase out;
    out.name = name;
    out.epoch = static_cast<int>(epoch);
    out.label = measure.size() > 1 ? name + "_e" + std::to_string(epoch) : name;
    out.data = data;
    networks::Model at = model;
    if (epochs > 0 && (epoch != epochs || !leader))
      at = networks::load_checkpoint_model(networks::checkpoint_path(checkpoint_dir, static_cast<int>(epoch)), -1, device);
    out.training = epoch == 0 ? "initialisation (seed " + std::to_string(seed) + ")" : training + ", measured after epoch " + std::to_string(epoch);
    if (bn_batch > 0 && at.has_batchnorm()) {
      networks::recompute_batchnorm(at, data.train, data.test_transform, bn_batch);
      out.training += "; BatchNorm statistics recomputed over the population (batches of " + std::to_string(bn_batch) + ")";
    }
    out.model = at;
    networks::SpectrumRequest req = spectrum_request(k, c, at, data, device, seed);
    req.attributes["model"] = spec.describe();
    req.attributes["dataset"] = data.description;
    req.attributes["weights"] = out.training;
    req.over_ranks = together;
    const std::string work_file = work.empty() ? "" : (std::filesystem::path(work) / ("c5-" + slug(out.label) + ".h5")).string();
    if (access == CaseAccess::read_existing && !work_file.empty() && std::filesystem::exists(work_file)) {
      out.work_file = work_file;
      ReaderSink sink(work_file);
      out.spectrum = networks::measure_spectrum_core(req, &sink);
      add_predictions(out.spectrum);
    } else if (!work.empty() && leader) {
      // Every (B, subset) run is a unit of this file: an interrupted claim resumes there.
      std::filesystem::create_directories(work);
      out.work_file = work_file;
      outputs::Store store = outputs::Store::open(out.work_file, collect_provenance({"batchrmt", "reproduce", "(C5 " + out.label + ")"}, seed, 1),
                                                  outputs::OpenMode::resume);
      out.spectrum = measure_spectrum(req, &store);
      store.commit();
    } else {
      out.spectrum = measure_spectrum(req, nullptr);
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    run.checkpoints.push_back(std::move(out));
  }
  if (scratch) std::filesystem::remove_all(*scratch);
  if (!together) case_cache()[identity] = run;  // ranks other than 0 hold no rows
  return run;
}

}  // namespace batchrmt::verify
#endif
