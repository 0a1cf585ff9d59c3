// The model and data a curvature command measures (spectrum, lr-sweep): a checkpoint of a
// `batchrmt train` run measured on that run's data, or a fresh initialisation. What a RUN.h5
// records in its /train unit about the data a checkpoint was trained on is read here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "apps/cli_lists.hpp"
#include "apps/command_registry.hpp"
#include "core/errors.hpp"
#include "networks/curvature.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "networks/training.hpp"
#include "outputs/store.hpp"

namespace batchrmt::app {

struct TrainRunInfo {
  std::string dataset, normalize, data_dir, checkpoint_dir;
  std::vector<std::int64_t> train_indices;
  std::int64_t seed = -1, train_size = -1;
};

inline TrainRunInfo read_train_run(const std::string& path) {
  TrainRunInfo r;
  const auto reader = outputs::Reader::open(path);
  const auto root = reader.root();
  if (!root.has("train"))
    throw InvalidInput("--checkpoint " + path + " has no /train group; it was not written by batchrmt train.");
  const auto g = root.group("train");
  auto text = [&](const char* k) {
    if (const auto a = g.attribute(k))
      if (const auto* s = std::get_if<std::string>(&*a)) return *s;
    return std::string();
  };
  auto integer = [&](const char* k) -> std::int64_t {
    if (const auto a = g.attribute(k))
      if (const auto* i = std::get_if<std::int64_t>(&*a)) return *i;
    return -1;
  };
  r.dataset = text("dataset");
  r.normalize = text("normalize");
  r.data_dir = text("data_dir");
  r.checkpoint_dir = text("checkpoint_dir");
  r.seed = integer("seed");
  r.train_size = integer("train_size");
  if (g.has("data") && g.group("data").has("train_indices")) r.train_indices = g.group("data").read_int_vector("train_indices");
  return r;
}

struct MeasuredModel {
  networks::Model model;
  networks::DataSplits data;
  networks::Dataset train;                    // the population: the run's training subset when it had one
  std::map<std::string, std::string> attrs;   // checkpoint, epoch or init (provenance)
  std::size_t run_subset_size = 0;            // > 0: `train` is the run's subset of that size
};

// Resolves the model and its data from a command's options (fields checkpoint, epoch, data,
// normalize, model, init, device): the run's dataset, normalisation, data directory,
// seed and training subset are used unless given; a synthetic set takes the model's shape.
// A synthetic train_size of 0 means the run's (else 4096).
template <class Cli>
MeasuredModel resolve_measured_model(Cli& c, const GlobalOptions& global,
                                     const std::function<void(const std::string&)>& log) {
  namespace nw = networks;
  MeasuredModel m;
  TrainRunInfo run;
  const bool run_file = c.checkpoint.size() > 3 && c.checkpoint.compare(c.checkpoint.size() - 3, 3, ".h5") == 0;
  if (run_file) {
    run = read_train_run(c.checkpoint);
    if (c.data.name.empty()) c.data.name = run.dataset;
    if (c.normalize.empty()) c.normalize = run.normalize;
    if (c.data.data_dir.empty()) c.data.data_dir = run.data_dir;
  }
  if (c.data.name.empty()) c.data.name = "fashion-mnist";
  if (c.normalize.empty()) c.normalize = "none";
  c.data.normalize = nw::parse_normalize(c.normalize);
  c.data.augment = "off";
  // The data of a run are the run's: its seed drew the synthetic set and the training subset.
  const std::uint64_t data_seed = run_file && run.seed >= 0 ? static_cast<std::uint64_t>(run.seed) : global.seed;
  c.data.subset_seed = data_seed;
  c.data.synthetic.seed = data_seed;
  if (c.data.synthetic.train_size == 0)
    c.data.synthetic.train_size = run_file && run.train_size > 0 && run.train_indices.empty() ? static_cast<std::size_t>(run.train_size) : 4096;
  c.data.image_folder.threads = global.threads;
  if (!c.checkpoint.empty()) {
    if (c.epoch < 0 && !(c.checkpoint.size() > 3 && c.checkpoint.compare(c.checkpoint.size() - 3, 3, ".pt") == 0))
      throw InvalidInput("--checkpoint " + c.checkpoint + " needs --epoch E (which checkpoint of the run).");
    std::string path;
    if (run_file && !run.checkpoint_dir.empty() && c.epoch >= 0) {
      path = nw::checkpoint_path(run.checkpoint_dir, c.epoch);
      if (!std::filesystem::exists(path)) path = nw::resolve_checkpoint_path(c.checkpoint, c.epoch);  // RUN.checkpoints beside it
    } else {
      path = nw::resolve_checkpoint_path(c.checkpoint, c.epoch);
    }
    log("loading " + path);
    m.model = nw::load_checkpoint_model(path, c.epoch, c.device);
    m.attrs["checkpoint"] = path;
    m.attrs["epoch"] = std::to_string(c.epoch);
  }
  if (m.model && c.data.name == "synthetic") {
    c.data.synthetic.classes = static_cast<int>(m.model.spec().classes);
    c.data.synthetic.shape = m.model.spec().input_shape;
  }
  m.data = nw::load_dataset(c.data);
  m.train = m.data.train;
  if (run_file && !run.train_indices.empty() && c.data.train_subset == 0) {
    std::vector<std::size_t> idx(run.train_indices.begin(), run.train_indices.end());
    m.train = m.data.train.subset(idx);
    m.run_subset_size = idx.size();
  }
  if (!m.model) {
    if (c.init != "zeros" && c.init != "seed" && c.init != "default")
      throw InvalidInput("--init is '" + c.init + "', but must be zeros or seed.");
    c.model.init = c.init == "zeros" ? "zeros" : "default";
    c.model.seed = global.seed;
    c.model.input_shape = m.train.input_shape();
    c.model.classes = m.train.classes();
    c.model = c.model.resolved();
    m.model = nw::Model::create(c.model, c.device);
    m.attrs["init"] = c.model.name == "torchscript" ? "the weights saved in " + c.model.torchscript
                      : c.init == "zeros"              ? "zeros"
                                                       : "seeded default initialisation (seed " + std::to_string(global.seed) + ")";
  }
  return m;
}

}  // namespace batchrmt::app
