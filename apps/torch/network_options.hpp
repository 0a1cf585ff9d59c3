// The model and data options that every network subcommand (train, learn, spectrum, lr-sweep,
// bench curvature) declares: one flag name, one help text and one check each. No LibTorch here.
#pragma once

#include <functional>
#include <string>

#include "apps/command_registry.hpp"
#include "apps/run_identity.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "outputs/store.hpp"

namespace batchrmt::app {

// --model (a built-in name or torchscript:FILE.pt), --widths, --depth, --width, --block, --vgg-head.
void add_model_options(CLI::App* sub, networks::ModelSpec& spec);

// Whose data a subcommand measures: its own (train, learn), or by default the data of the run
// whose checkpoint it reads (spectrum, lr-sweep: empty --dataset and --normalize mean "the run's").
enum class DataDefaults { own, from_run };

// --dataset, --data-dir, --data, --normalize (into `normalize`, parsed by the subcommand),
// --train-subset, --coarse-labels, --image-size, --cache-dir and --synthetic-train/-classes/-shape;
// with DataDefaults::own also --test-subset, --augment and --synthetic-test.
void add_data_options(CLI::App* sub, networks::DataOptions& data, std::string& normalize, DataDefaults defaults);

// Which model and data a measuring subcommand (spectrum, lr-sweep, advise) reads: the fields that
// resolve_measured_model (train_run_info.hpp) resolves. Its Cli struct derives from this.
struct MeasuredModelOptions {
  networks::ModelSpec model;
  std::string init = "seed";  // zeros | seed, without --checkpoint
  std::string checkpoint;
  int epoch = -1;
  networks::DataOptions data;
  std::string normalize;  // empty: the run's, else none
};

// The model options, --checkpoint, --epoch and --init, and the data options with the run's data as
// the default (an empty --dataset and a synthetic size of 0 mean the run's).
void add_measured_model_options(CLI::App* sub, MeasuredModelOptions& options);

// The run's switches shared by the measuring subcommands: --resume, --overwrite, --quiet.
struct RunSwitches {
  bool resume = false, overwrite = false, quiet = false;
};
void add_run_switches(CLI::App* sub, RunSwitches& switches, const std::string& resume_help);

// The result store of a measuring subcommand at `out` (or `fallback` when --out is empty): the
// name must end in .h5, its folder is created, --resume/--overwrite choose the mode (both:
// InvalidInput), and the identity is the run's options plus the content of `checkpoint` (when
// given) and of a TorchScript model, and with identity_options.mpi_ranks the number of MPI ranks
// (also recorded in the provenance). Units discarded by a resume are logged.
outputs::Store open_measurement_store(const GlobalOptions& global, const RunSwitches& switches, const std::string& fallback,
                                      const networks::ModelSpec& model, const networks::DataOptions& data,
                                      const std::string& checkpoint, const IdentityOptions& identity_options,
                                      const std::function<void(const std::string&)>& log);

// run_identity(global, options) plus the content fingerprints of a TorchScript model's file and
// of an array dataset's file (`data`, when given), so that --resume refuses a file that changed
// under the same name.
RunIdentity network_run_identity(const GlobalOptions& global, const IdentityOptions& options,
                                 const networks::ModelSpec& model, const networks::DataOptions* data = nullptr);

}  // namespace batchrmt::app
