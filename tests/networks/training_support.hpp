// Helpers of the networks tests that train: the options of a short run.
#pragma once

#include <cstdint>

#include "networks/training.hpp"

namespace batchrmt::testing {

// A run of `epochs` epochs of `batch_size` at the constant learning rate `lr` (SGD unless the
// caller sets the optimizer), its data order drawn from `seed`.
inline networks::TrainOptions constant_rate_run(int epochs, std::int64_t batch_size, double lr, std::uint64_t seed) {
  networks::TrainOptions o;
  o.epochs = epochs;
  o.batch_size = batch_size;
  o.lr = lr;
  o.schedule = networks::LrSchedule::constant;
  o.seed = seed;
  return o;
}

}  // namespace batchrmt::testing
