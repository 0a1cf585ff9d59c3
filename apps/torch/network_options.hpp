// The model and data options that every network subcommand (train, learn, spectrum, lr-sweep,
// bench curvature) declares: one flag name, one help text and one check each. No LibTorch here.
#pragma once

#include <string>

#include "apps/command_registry.hpp"
#include "apps/run_identity.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"

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

// run_identity(global, options) plus, for a TorchScript model, the content fingerprint of its
// file, so that --resume refuses a file that changed under the same name.
RunIdentity network_run_identity(const GlobalOptions& global, const IdentityOptions& options,
                                 const networks::ModelSpec& model);

}  // namespace batchrmt::app
