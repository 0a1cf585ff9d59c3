// The lr grid sweep's work file (verify/lr_grid_sweep.hpp): one unit per batch size, read back on
// a second run instead of rerunning its trials, with the same rows; a unit whose grid centre
// differs is refused.
#include <gtest/gtest.h>

#ifdef BATCHRMT_WITH_TORCH
#include <unistd.h>

#include <filesystem>

#include "core/errors.hpp"
#include "networks/torch_runtime.hpp"
#include "outputs/store.hpp"
#include "tests/networks/synthetic_support.hpp"
#include "verify/lr_grid_sweep.hpp"

using namespace batchrmt;
namespace nw = batchrmt::networks;

TEST(LrGridSweep, ASecondRunReadsEveryBatchSizeBackFromTheWorkFile) {
  nw::set_torch_threads(1);
  const auto d = batchrmt::testing::synthetic_splits(128, 32, {1, 4, 4}, 3, 0);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("batchrmt_lr_grid_sweep_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  verify::GridSweepRequest rq;
  rq.batch_sizes = {8, 32};
  rq.centers = {0.5, 1.0};
  rq.model = nw::Model::create(batchrmt::testing::linear_spec(d, 0), "cpu");
  rq.train = d.train;
  rq.transform = d.test_transform;
  rq.work_file = (dir / "grid.h5").string();
  rq.trial.steps = 4;
  rq.trial.monitor_size = 32;
  rq.trial.monitor_every = 2;
  rq.points = 3;
  rq.extend = 1;
  rq.start_below = 1;
  rq.seeds = 1;
  const auto a = verify::run_grid_sweep(rq);
  const auto b = verify::run_grid_sweep(rq);  // every unit complete: nothing rerun
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].B, b[i].B);
    EXPECT_EQ(a[i].seconds, b[i].seconds);  // stored, not measured again
    EXPECT_EQ(a[i].grid, b[i].grid);
    EXPECT_EQ(a[i].reasons, b[i].reasons);
    ASSERT_EQ(a[i].trials.size(), b[i].trials.size());
    for (std::size_t t = 0; t < a[i].trials.size(); ++t) {
      EXPECT_EQ(a[i].trials[t].lr, b[i].trials[t].lr);
      EXPECT_EQ(a[i].trials[t].seed, b[i].trials[t].seed);
      EXPECT_EQ(a[i].trials[t].steps, b[i].trials[t].steps);
    }
    ASSERT_EQ(a[i].limits.size(), b[i].limits.size());
    for (std::size_t f = 0; f < a[i].limits.size(); ++f)
      EXPECT_TRUE(a[i].limits[f].lr_max == b[i].limits[f].lr_max ||
                  (std::isnan(a[i].limits[f].lr_max) && std::isnan(b[i].limits[f].lr_max)));
  }
  rq.centers = {0.25, 1.0};
  EXPECT_THROW(verify::run_grid_sweep(rq), InvalidInput);
  std::filesystem::remove_all(dir);
}
#endif
