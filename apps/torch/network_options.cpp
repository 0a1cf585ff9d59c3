// The shared model and data options of the network subcommands (network_options.hpp).
#include "apps/torch/network_options.hpp"

#include <algorithm>
#include <filesystem>

#include "apps/cli_lists.hpp"
#include "apps/output_checks.hpp"
#include "apps/runtime.hpp"
#include "verify/array_dataset.hpp"
#include "core/errors.hpp"
#include "core/mpi_context.hpp"

namespace batchrmt::app {

namespace nw = networks;

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " | ") + n;
  return out;
}

// "3x32x32" -> {3, 32, 32}.
std::array<std::int64_t, 3> parse_shape(const std::string& option, const std::string& text) {
  std::string commas = text;
  std::replace(commas.begin(), commas.end(), 'x', ',');
  std::vector<std::int64_t> dims;
  try {
    dims = parse_int_list(option, commas);
  } catch (const InvalidInput&) {
    dims.clear();
  }
  if (dims.size() != 3 || dims[0] < 1 || dims[1] < 1 || dims[2] < 1)
    throw InvalidInput(option + " is '" + text + "', but must be CxHxW with three positive integers, e.g. 3x32x32.");
  return {dims[0], dims[1], dims[2]};
}

}  // namespace

void add_model_options(CLI::App* sub, nw::ModelSpec& spec) {
  sub->add_option("--model", spec.name,
                  "linear | mlp | lenet | vgg16 | vgg16bn | wrn (wrn-28-10) | preresnet (preresnet-110, preresnet-164) "
                  "| torchscript:FILE.pt (a module saved by torch.jit.script or torch.jit.trace); a --checkpoint, where the "
                  "command takes one, replaces it")
      ->capture_default_str();
  sub->add_option_function<std::string>(
      "--widths", [&spec](const std::string& text) { spec.widths = parse_int_list("--widths", text); },
      "mlp: hidden widths, comma-separated (default 512,256)");
  sub->add_option("--depth", spec.depth, "wrn (6n+4) / preresnet (6n+2 basic, 9n+2 bottleneck) depth");
  sub->add_option("--width", spec.width, "wrn widening factor");
  sub->add_option("--block", spec.block, "preresnet: basic | bottleneck (the authors' code for depth >= 44)")
      ->capture_default_str();
  sub->add_option("--vgg-head", spec.head, "vgg: linear (512 -> classes) | swag (the authors' 512-512 head)")
      ->capture_default_str();
}

void add_data_options(CLI::App* sub, nw::DataOptions& data, std::string& normalize, DataDefaults defaults) {
  const bool from_run = defaults == DataDefaults::from_run;
  auto* dataset = sub->add_option("--dataset", data.name,
                                  joined(nw::dataset_names()) + (from_run ? " (default: the run's, else fashion-mnist)" : ""));
  if (!from_run) dataset->capture_default_str();
  sub->add_option("--data-dir", data.data_dir,
                  "Folder of the dataset files (Fashion-MNIST default: /usr/share/datasets/fashion-mnist)");
  sub->add_option("--data", data.data_file,
                  "--dataset arrays: an HDF5 or .npz file with x, y (and x_test, y_test), docs/hdf5-schema.md");
  // The arrays are read once the command line is parsed (outputs/ reads, networks/ receives them).
  sub->parse_complete_callback([&data] { verify::load_array_dataset(data); });
  auto* norm = sub->add_option("--normalize", normalize,
                               "none (pixel/255) | per-channel (training-set mean and sd)" +
                                   std::string(from_run ? " (default: the run's, else none)" : ""));
  if (!from_run) norm->capture_default_str();
  sub->add_option("--train-subset", data.train_subset, "Use a seeded random subset of this size of the training set (0: all)")
      ->capture_default_str();
  sub->add_flag("--coarse-labels", data.coarse_labels, "CIFAR-100: the 20 superclasses");
  sub->add_option("--image-size", data.image_folder.side,
                  "ImageNet: side of the decoded images (32: downsampled ImageNet; 224: centre crop)")
      ->capture_default_str();
  sub->add_option("--cache-dir", data.image_folder.cache_dir,
                  "ImageNet: folder of the decoded-image cache (default DATA_DIR/.batchrmt-cache)");
  auto* train_size = sub->add_option("--synthetic-train", data.synthetic.train_size,
                                     "Synthetic: training items" + std::string(from_run ? " (0: the run's, else 4096)" : ""));
  train_size->capture_default_str();
  sub->add_option("--synthetic-classes", data.synthetic.classes, "Synthetic: classes")->capture_default_str();
  sub->add_option_function<std::string>(
      "--synthetic-shape",
      [&data](const std::string& text) { data.synthetic.shape = parse_shape("--synthetic-shape", text); },
      "Synthetic: input shape CxHxW (default 1x28x28)");
  if (from_run) return;
  sub->add_option("--test-subset", data.test_subset, "Evaluate on a seeded random subset of this size of the test set (0: all)")
      ->capture_default_str();
  sub->add_option("--synthetic-test", data.synthetic.test_size, "Synthetic: test items")->capture_default_str();
  sub->add_option("--augment", data.augment,
                  "auto (on for cifar100 and imagenet) | on | off: random crop with padding 4 and horizontal flip")
      ->capture_default_str();
}

RunIdentity network_run_identity(const GlobalOptions& global, const IdentityOptions& options, const nw::ModelSpec& model,
                                 const nw::DataOptions* data) {
  RunIdentity identity = run_identity(global, options);
  if (!model.torchscript_fingerprint.empty()) identity.set("torchscript_content", model.torchscript_fingerprint);
  if (data && data->arrays) identity.set("data_content", data->arrays->fingerprint);
  return identity;
}

void add_measured_model_options(CLI::App* sub, MeasuredModelOptions& o) {
  o.data.name.clear();             // default: the run's dataset, else fashion-mnist
  o.data.synthetic.train_size = 0;  // default: the run's, else 4096
  add_model_options(sub, o.model);
  sub->add_option("--checkpoint", o.checkpoint, "RUN.h5 of batchrmt train (with --epoch), its checkpoint folder, or an epoch-NNNNNN.pt");
  sub->add_option("--epoch", o.epoch, "Checkpoint epoch of --checkpoint");
  sub->add_option("--init", o.init, "Without --checkpoint: zeros (linear, mlp) | seed (the model's initialisation from --seed)")
      ->capture_default_str();
  add_data_options(sub, o.data, o.normalize, DataDefaults::from_run);
}

void add_run_switches(CLI::App* sub, RunSwitches& switches, const std::string& resume_help) {
  sub->add_flag("--resume", switches.resume, resume_help);
  sub->add_flag("--overwrite", switches.overwrite, "Replace an existing --out file");
  sub->add_flag("--quiet", switches.quiet, "No progress lines on stderr");
}

outputs::Store open_measurement_store(const GlobalOptions& global, const RunSwitches& switches, const std::string& fallback,
                                      const networks::ModelSpec& model, const networks::DataOptions& data,
                                      const std::string& checkpoint, const IdentityOptions& identity_options,
                                      const std::function<void(const std::string&)>& log) {
  if (switches.resume && switches.overwrite)
    throw InvalidInput("--resume and --overwrite were both given, but at most one is allowed.");
  const std::string out = global.out.empty() ? fallback : global.out;
  check_out_path(out);
  if (!std::filesystem::path(out).parent_path().empty()) std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  const auto mode = switches.overwrite ? outputs::OpenMode::overwrite
                    : switches.resume  ? outputs::OpenMode::resume
                                       : outputs::OpenMode::fresh;
  RunIdentity identity = network_run_identity(global, identity_options, model, &data);
  if (!checkpoint.empty()) identity.set("checkpoint_content", file_fingerprint(checkpoint));
  Provenance provenance = make_provenance(global);
  if (identity_options.mpi_ranks) {
    const int ranks = MpiContext::instance().size();
    identity.set("mpi_ranks", ranks);
    provenance.libraries["mpi_ranks"] = std::to_string(ranks);
  }
  outputs::Store store = outputs::Store::open(out, provenance, mode, identity);
  for (const auto& u : store.discarded_units()) log("resume: discarded the incomplete unit " + u);
  return store;
}

}  // namespace batchrmt::app
