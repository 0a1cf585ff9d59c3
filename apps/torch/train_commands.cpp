// `batchrmt train`: trains one of the paper's networks on a dataset with checkpoints and an
// HDF5 history (networks/training.hpp). Layout of RUN.h5 (unit /train):
//   /train                attributes: model, model_spec, parameter_count, dataset, data,
//                         optimizer settings, device, training_status (running | stopped |
//                         complete | diverged), checkpoint_dir, [diverged_epoch/_step/_loss]
//   /train/history/       epoch, lr, train_loss, train_accuracy, test_loss, test_accuracy,
//                         seconds, images_per_second (one entry per completed epoch)
//   /train/model/         parameter_names, parameter_shapes, parameter_numels, parameter_offsets
//                         (the flattening order, docs/theory.md 5.2)
//   /train/checkpoints/   epochs, paths
//   /train/data/          train_indices, test_indices (when a subset was used)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "apps/command_registry.hpp"
#include "apps/run_identity.hpp"
#include "apps/runtime.hpp"
#include "apps/torch/network_options.hpp"
#include "core/errors.hpp"
#include "core/system.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "networks/torch_runtime.hpp"
#include "networks/training.hpp"
#include "outputs/store.hpp"

namespace {

namespace fs = std::filesystem;
namespace nw = batchrmt::networks;
namespace outputs = batchrmt::outputs;
using batchrmt::app::GlobalOptions;

struct TrainCli {
  nw::ModelSpec model;
  nw::DataOptions data;
  nw::TrainOptions train;
  std::string optimizer = "sgd", schedule = "paper";  // parsed into `train` when the command runs
  std::string normalize = "none";
  std::string device = "cpu";
  bool dry_run = false;
  bool overwrite = false;
  bool quiet = false;
};

std::string default_out(const TrainCli& c) { return "results/train-" + c.model.name + "-" + c.data.name + ".h5"; }

std::string default_checkpoint_dir(const std::string& out) {
  std::string stem = out;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".h5") == 0) stem.resize(stem.size() - 3);
  return stem + ".checkpoints";
}

std::string percent(double x) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2) << 100.0 * x << "%";
  return os.str();
}

void write_history(const outputs::Group& unit, const std::vector<nw::EpochRecord>& h) {
  const auto g = unit.group("history");
  using R = nw::EpochRecord;
  outputs::write_columns(g, h,
                         BATCHRMT_MEMBERS(R, epoch, lr, train_loss, train_accuracy, test_loss, test_accuracy, seconds,
                                          images_per_second));
}

void write_checkpoints(const outputs::Group& unit, const nw::TrainResult& r) {
  const auto g = unit.group("checkpoints");
  g.write("epochs", std::vector<std::int64_t>(r.checkpoint_epochs.begin(), r.checkpoint_epochs.end()));
  g.write("paths", r.checkpoint_paths);
}

// The fully connected layers of --widths, estimated before LibTorch allocates them: float32
// weights plus gradient, momentum and Adam's two moments (5 copies).
void check_mlp_size(const nw::ModelSpec& spec) {
  if (spec.name != "mlp" || spec.widths.empty()) return;
  double inputs = 1;
  for (auto d : spec.input_shape) inputs *= static_cast<double>(d);
  double params = 0, prev = inputs;
  std::string list;
  for (auto w : spec.widths) {
    params += (prev + 1) * static_cast<double>(w);
    prev = static_cast<double>(w);
    list += (list.empty() ? "" : ",") + std::to_string(w);
  }
  params += (prev + 1) * static_cast<double>(spec.classes);
  batchrmt::check_memory_budget("--widths " + list + " (about " + std::to_string(static_cast<long long>(params)) + " parameters)",
                                5.0 * 4.0 * params);
}

// /train's description: the model, data, options and seeds, the flattening order of the
// parameters (/train/model) and the data transform and subsets (/train/data).
void write_train_description(const outputs::Group& unit, const GlobalOptions& global, const TrainCli& c,
                             const nw::Model& model, const nw::DataSplits& data) {
  unit.set_attribute("model", c.model.describe());
  unit.set_attribute("model_spec", c.model.serialize());
  unit.set_attribute("parameter_count", model.parameter_count());
  unit.set_attribute("dataset", c.data.name);
  unit.set_attribute("data", data.description);
  unit.set_attribute("data_dir", c.data.data_dir);
  if (c.data.arrays) {
    unit.set_attribute("data_file", std::filesystem::absolute(c.data.data_file).string());
    unit.set_attribute("data_file_fingerprint", c.data.arrays->fingerprint);
  }
  unit.set_attribute("train_size", static_cast<std::int64_t>(data.train.size()));
  unit.set_attribute("test_size", static_cast<std::int64_t>(data.test.size()));
  unit.set_attribute("normalize", c.normalize);
  unit.set_attribute("train_options", c.train.serialize());
  unit.set_attribute("optimizer", nw::to_string(c.train.optimizer));
  unit.set_attribute("lr", c.train.lr);
  unit.set_attribute("momentum", c.train.momentum);
  unit.set_attribute("weight_decay", c.train.weight_decay);
  unit.set_attribute("schedule", nw::to_string(c.train.schedule));
  unit.set_attribute("batch_size", c.train.batch_size);
  unit.set_attribute("epochs", static_cast<std::int64_t>(c.train.epochs));
  unit.set_attribute("device", c.device);
  unit.set_attribute("seed", static_cast<std::int64_t>(global.seed));
  unit.set_attribute("init_rng", std::string("torch::manual_seed(seed) on the CPU generator before construction"));
  unit.set_attribute("data_order_rng",
                     std::string("RandomStream(seed, 2^32 + epoch).permutation(N); augmentation RandomStream(seed, "
                                 "2^33 + epoch)"));
  unit.set_attribute("checkpoint_dir", c.train.checkpoint_dir);
  unit.set_attribute("training_status", std::string("running"));
  {
    const auto g = unit.group("model");
    std::vector<std::string> names, shapes;
    std::vector<std::int64_t> numels, offsets;
    for (const auto& p : model.parameters()) {
      names.push_back(p.name);
      std::string s;
      for (std::size_t i = 0; i < p.shape.size(); ++i) s += (i ? "x" : "") + std::to_string(p.shape[i]);
      shapes.push_back(s);
      numels.push_back(p.numel);
      offsets.push_back(p.offset);
    }
    g.write("parameter_names", names);
    g.write("parameter_shapes", shapes);
    g.write("parameter_numels", numels);
    g.write("parameter_offsets", offsets);
  }
  {
    const auto g = unit.group("data");
    // The test-time transform: inputs are (pixel/255 - mean) / sd per channel (empty: none).
    if (!data.test_transform.mean.empty()) {
      g.write("normalize_mean", std::vector<double>(data.test_transform.mean.begin(), data.test_transform.mean.end()));
      g.write("normalize_std", std::vector<double>(data.test_transform.std.begin(), data.test_transform.std.end()));
    }
    if (!data.train_indices.empty())
      g.write("train_indices", std::vector<std::int64_t>(data.train_indices.begin(), data.train_indices.end()));
    if (!data.test_indices.empty())
      g.write("test_indices", std::vector<std::int64_t>(data.test_indices.begin(), data.test_indices.end()));
  }
}

// Progress on stderr (verbose; a redrawn line on a terminal) and, after every epoch, the history
// and the checkpoint list written to the partial file.
nw::TrainCallbacks progress_callbacks(const TrainCli& c, outputs::Store& store, const outputs::Group& unit, bool verbose) {
  const bool tty = ::isatty(2);
  auto last_draw = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  nw::TrainCallbacks cb;
  if (verbose && tty) {
    cb.on_step = [&c, last_draw](const nw::StepInfo& s) {
      const auto now = std::chrono::steady_clock::now();
      if (s.step != s.steps && now - *last_draw < std::chrono::milliseconds(200)) return;
      *last_draw = now;
      std::cerr << "\r\033[Kepoch " << s.epoch + 1 << "/" << c.train.epochs << "  step " << s.step << "/" << s.steps
                << "  loss " << std::fixed << std::setprecision(4) << s.loss << "  " << std::setprecision(0)
                << s.images_per_second << " img/s" << std::defaultfloat << std::flush;
    };
  }
  cb.on_epoch = [&c, &store, unit, verbose, tty](const std::vector<nw::EpochRecord>& h) {
    write_history(unit, h);
    nw::TrainResult on_disk;
    for (int e : nw::list_checkpoints(c.train.checkpoint_dir)) {
      on_disk.checkpoint_epochs.push_back(e);
      on_disk.checkpoint_paths.push_back(nw::checkpoint_path(c.train.checkpoint_dir, e));
    }
    write_checkpoints(unit, on_disk);
    store.flush();
    if (verbose) {
      const auto& r = h.back();
      if (tty) std::cerr << "\r\033[K";
      std::cerr << "epoch " << r.epoch << "/" << c.train.epochs << "  lr " << std::setprecision(4) << r.lr
                << "  train loss " << std::fixed << std::setprecision(4) << r.train_loss << " acc "
                << percent(r.train_accuracy) << "  test loss " << r.test_loss << " acc " << percent(r.test_accuracy)
                << "  " << std::setprecision(1) << r.seconds << " s  " << std::setprecision(0) << r.images_per_second
                << " img/s" << std::defaultfloat << std::endl;
    }
  };
  return cb;
}

// The finished (or stopped, or diverged) run: its history, checkpoints and status in the file,
// the file committed unless --stop-after left it partial, and the summary printed.
void finish_train(const GlobalOptions& global, const TrainCli& c, const nw::Model& model, outputs::Store& store,
                  const outputs::Group& unit, const nw::TrainResult& r, const std::string& out) {
  write_history(unit, r.history);
  write_checkpoints(unit, r);
  unit.set_attribute("training_status", nw::to_string(r.status));
  unit.set_attribute("resumed_from_epoch", static_cast<std::int64_t>(r.resumed_from_epoch));
  if (r.status == nw::TrainStatus::diverged) {
    unit.set_attribute("diverged_epoch", static_cast<std::int64_t>(r.diverged_epoch + 1));
    unit.set_attribute("diverged_step", r.diverged_step);
    unit.set_attribute("diverged_loss", r.diverged_loss);
  }
  nlohmann::json j{{"status", nw::to_string(r.status)},
                   {"out", out},
                   {"model", c.model.describe()},
                   {"parameters", model.parameter_count()},
                   {"epochs_completed", r.history.empty() ? 0 : r.history.back().epoch},
                   {"checkpoint_dir", c.train.checkpoint_dir},
                   {"checkpoints", r.checkpoint_paths}};
  if (!r.history.empty()) {
    const auto& last = r.history.back();
    j["train_loss"] = last.train_loss;
    j["train_accuracy"] = last.train_accuracy;
    j["test_loss"] = std::isfinite(last.test_loss) ? nlohmann::json(last.test_loss) : nlohmann::json();
    j["test_accuracy"] = std::isfinite(last.test_accuracy) ? nlohmann::json(last.test_accuracy) : nlohmann::json();
  }
  if (r.status == nw::TrainStatus::stopped) {
    store.flush();
    batchrmt::app::emit(global, j, [&](std::ostream& os) {
      os << "stopped after epoch " << j["epochs_completed"] << " of " << c.train.epochs
         << " (--stop-after); continue with --resume. Partial results: " << store.partial_path() << "\n";
    });
    return;  // the store stays .partial; --resume continues it
  }
  store.complete_unit(unit);
  store.commit();
  if (r.status == nw::TrainStatus::diverged) {
    j["diverged_epoch"] = r.diverged_epoch + 1;
    j["diverged_step"] = r.diverged_step;
    if (global.json) std::cout << j.dump() << std::endl;
    std::ostringstream msg;
    msg << "training diverged: the loss became " << r.diverged_loss << " at step " << r.diverged_step + 1
        << " of epoch " << r.diverged_epoch + 1 << "; the history up to the last finite epoch is stored in " << out
        << " with training_status = diverged (lower --lr)";
    throw batchrmt::NumericalFailure(msg.str());
  }
  batchrmt::app::emit(global, j, [&](std::ostream& os) {
    os << "trained " << c.model.describe() << " for " << j["epochs_completed"] << " epochs";
    if (!r.history.empty())
      os << ": test accuracy " << percent(r.history.back().test_accuracy) << ", test loss "
         << r.history.back().test_loss;
    os << "\nresults " << out << "\ncheckpoints " << c.train.checkpoint_dir << " (" << r.checkpoint_paths.size()
       << ")\n";
  });
}

void run_train(const GlobalOptions& global, TrainCli c) {
  batchrmt::app::apply_runtime_settings(global);
  c.device = nw::checked_device(c.device);
  c.data.normalize = nw::parse_normalize(c.normalize);
  c.train.optimizer = nw::parse_optimizer(c.optimizer, "--optimizer");
  c.train.schedule = nw::parse_lr_schedule(c.schedule, "--schedule");
  c.data.subset_seed = global.seed;
  c.data.synthetic.seed = global.seed;
  c.data.image_folder.threads = global.threads;
  c.model.seed = global.seed;
  c.train.seed = global.seed;
  const auto sig = nw::dataset_signature(c.data);
  c.model.input_shape = sig.input_shape;
  c.model.classes = sig.classes;
  check_mlp_size(c.model);
  c.model = c.model.resolved();

  if (c.dry_run) {
    const nw::Model m = nw::Model::create(c.model, c.device);
    nlohmann::json j{{"model", c.model.describe()},
                     {"parameters", m.parameter_count()},
                     {"dataset", c.data.name},
                     {"input_shape", sig.input_shape},
                     {"classes", sig.classes},
                     {"device", c.device},
                     {"libtorch", nw::libtorch_version()}};
    batchrmt::app::emit(global, j, [&](std::ostream& os) {
      os << m.summary() << "\n";
      os << "model " << c.model.describe() << "\nparameters " << m.parameter_count() << "\n";
    });
    return;
  }

  const std::string out = global.out.empty() ? default_out(c) : global.out;
  if (out.size() < 4 || out.compare(out.size() - 3, 3, ".h5") != 0)
    throw batchrmt::InvalidInput("--out is '" + out + "', but must end in .h5.");
  if (c.train.checkpoint_dir.empty()) c.train.checkpoint_dir = default_checkpoint_dir(out);
  c.train.validate();
  if (c.train.resume && c.overwrite)
    throw batchrmt::InvalidInput("--resume and --overwrite were both given, but at most one is allowed.");
  if (!c.train.resume && !nw::list_checkpoints(c.train.checkpoint_dir).empty() && !c.overwrite)
    throw batchrmt::InvalidInput("the checkpoint folder " + c.train.checkpoint_dir +
                                 " already holds checkpoints; pass --resume to continue that run or --overwrite to "
                                 "start again.");
  if (c.train.resume && fs::exists(out))
    throw batchrmt::InvalidInput("the run " + out + " has finished (see its training_status); there is nothing to "
                                 "resume; pass --overwrite to start it again or another --out.");

  // Data first: a missing dataset is reported before any file is created or removed.
  const nw::DataSplits data = nw::load_dataset(c.data);
  nw::Model model = nw::Model::create(c.model, c.device);
  c.model = model.spec();  // with what loading found (a TorchScript file's fingerprint)
  if (c.overwrite) {
    for (int e : nw::list_checkpoints(c.train.checkpoint_dir)) fs::remove(nw::checkpoint_path(c.train.checkpoint_dir, e));
  }
  if (!fs::path(out).parent_path().empty()) fs::create_directories(fs::path(out).parent_path());

  const auto mode = c.overwrite ? outputs::OpenMode::overwrite
                    : c.train.resume ? outputs::OpenMode::resume
                                     : outputs::OpenMode::fresh;
  outputs::Store store = outputs::Store::open(out, batchrmt::app::make_provenance(global), mode,
                                              batchrmt::app::network_run_identity(global, {true, {}}, c.model, &c.data));
  const outputs::Group unit = store.begin_unit("/train");
  write_train_description(unit, global, c, model, data);
  store.flush();

  const bool verbose = !global.json && !c.quiet;
  const nw::TrainCallbacks cb = progress_callbacks(c, store, unit, verbose);
  if (verbose)
    std::cerr << "train " << c.model.describe() << " (" << model.parameter_count() << " parameters) on "
              << data.description << ", " << nw::to_string(c.train.optimizer) << " lr " << c.train.lr << ", batch "
              << c.train.batch_size << ", " << c.train.epochs << " epochs, device " << c.device << ", "
              << nw::torch_threads() << " thread(s)" << std::endl;

  if (verbose && nw::torch_threads() > 1 && !std::getenv("OMP_WAIT_POLICY"))
    std::cerr << "note: with --threads > 1 on a busy machine, OpenMP's spinning threads can slow training many "
                 "times over; set OMP_WAIT_POLICY=PASSIVE before starting batchrmt (docs/networks.md)" << std::endl;
  const nw::TrainResult r = nw::train(model, data, c.train, cb);
  if (r.resumed_from_epoch >= 0 && verbose)
    std::cerr << "resumed from the checkpoint of epoch " << r.resumed_from_epoch << std::endl;
  finish_train(global, c, model, store, unit, r, out);
}

std::vector<int> parse_int_list(const std::string& s, const char* what) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    try {
      std::size_t used = 0;
      const int v = std::stoi(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      throw batchrmt::InvalidInput(std::string(what) + " is '" + s + "', but must be a comma-separated list of integers.");
    }
  }
  return out;
}

void register_train(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand(
      "train", "Train a network (linear, mlp, lenet, vgg16, vgg16bn, wrn-28-10, preresnet-110) on a dataset with "
               "checkpoints and an HDF5 history (LibTorch)");
  auto c = std::make_shared<TrainCli>();
  auto milestones = std::make_shared<std::string>();
  batchrmt::app::add_model_options(sub, c->model);
  batchrmt::app::add_data_options(sub, c->data, c->normalize, batchrmt::app::DataDefaults::own);
  sub->add_option("--epochs", c->train.epochs, "Epochs")->capture_default_str();
  sub->add_option("--batch-size", c->train.batch_size, "Mini-batch size")->capture_default_str();
  sub->add_option("--optimizer", c->optimizer, "sgd | adam | adamw")->capture_default_str();
  sub->add_option("--lr", c->train.lr, "Initial learning rate")->capture_default_str();
  sub->add_option("--momentum", c->train.momentum, "SGD momentum")->capture_default_str();
  sub->add_flag("--nesterov", c->train.nesterov, "Nesterov momentum (sgd)");
  sub->add_option("--weight-decay", c->train.weight_decay,
                  "Weight decay (L2 for sgd/adam, decoupled for adamw)")
      ->capture_default_str();
  sub->add_option("--beta1", c->train.beta1, "Adam beta1")->capture_default_str();
  sub->add_option("--beta2", c->train.beta2, "Adam beta2")->capture_default_str();
  sub->add_option("--schedule", c->schedule,
                  "paper (constant to 50%, linear to final-ratio at 90%, then constant) | step | constant")
      ->capture_default_str();
  sub->add_option("--final-ratio", c->train.final_ratio, "Final learning-rate factor of the paper schedule")
      ->capture_default_str();
  sub->add_option("--milestones", *milestones, "Step schedule: epochs where the rate is multiplied by --gamma "
                                               "(default: 50% and 75% of the epochs)");
  sub->add_option("--gamma", c->train.gamma, "Step schedule factor")->capture_default_str();
  sub->add_option("--checkpoint-every", c->train.checkpoint_every,
                  "Write a checkpoint every k epochs (0: only at epoch 0 and the end)")
      ->capture_default_str();
  sub->add_option("--checkpoint-dir", c->train.checkpoint_dir, "Checkpoint folder (default: RUN.checkpoints beside --out)");
  sub->add_flag("--resume", c->train.resume, "Continue from the newest checkpoint (bit-identical on CPU)");
  sub->add_flag("--overwrite", c->overwrite, "Replace an existing result file and its checkpoints");
  sub->add_option("--stop-after", c->train.stop_after,
                  "Stop this invocation after so many epochs (checkpointed; continue with --resume)")
      ->capture_default_str();
  sub->add_option("--device", c->device, "cpu | cuda | cuda:K")->capture_default_str();
  sub->add_option("--eval-batch-size", c->train.eval_batch_size, "Batch size of evaluation")->capture_default_str();
  sub->add_flag("--drop-last", c->train.drop_last, "Drop the last, smaller batch of each epoch");
  sub->add_option("--init", c->model.init, "default | zeros (linear only)")->capture_default_str();
  sub->add_flag("--dry-run", c->dry_run, "Print the model and its parameter count, and exit");
  sub->add_flag("--quiet", c->quiet, "No progress or per-epoch lines on stderr");
  sub->callback([c, milestones, &global] {
    TrainCli cli = *c;
    cli.train.milestones = parse_int_list(*milestones, "--milestones");
    run_train(global, cli);
  });
}

}  // namespace

BATCHRMT_REGISTER_COMMAND(train, 40, register_train)
