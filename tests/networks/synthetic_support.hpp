// Helpers of the tests that train small networks (networks and verify layers): a synthetic
// teacher-student set loaded by name and the linear model over it.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "networks/datasets.hpp"
#include "networks/models.hpp"

namespace batchrmt::testing {

inline networks::DataSplits synthetic_splits(std::size_t train_size, std::size_t test_size,
                                             std::array<std::int64_t, 3> shape, int classes, std::uint64_t seed) {
  networks::DataOptions o;
  o.name = "synthetic";
  o.synthetic.train_size = train_size;
  o.synthetic.test_size = test_size;
  o.synthetic.shape = shape;
  o.synthetic.classes = classes;
  o.synthetic.seed = seed;
  return networks::load_dataset(o);
}

// The linear model over `d`'s images and classes, resolved.
inline networks::ModelSpec linear_spec(const networks::DataSplits& d, std::uint64_t seed) {
  networks::ModelSpec s;
  s.name = "linear";
  s.input_shape = d.train.input_shape();
  s.classes = d.train.classes();
  s.seed = seed;
  return s.resolved();
}

}  // namespace batchrmt::testing
