// What a RUN.h5 of `batchrmt train` records in its /train unit about the data a checkpoint was
// trained on: spectrum and lr-sweep read it so a checkpoint is measured on the same data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
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

}  // namespace batchrmt::app
