// Resume of an interrupted lr-sweep (verify/lr_limit_sweep.hpp): complete units are read back,
// not rerun. Built with LibTorch only.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "verify/lr_limit_sweep.hpp"
#ifdef BATCHRMT_WITH_TORCH
#include <unistd.h>

#include "networks/torch_runtime.hpp"
#include "outputs/store.hpp"
#include "tests/networks/synthetic_support.hpp"
#endif

using namespace batchrmt;
using namespace batchrmt::verify;

#ifdef BATCHRMT_WITH_TORCH

namespace {

namespace nw = batchrmt::networks;

struct Interrupt : std::runtime_error {
  using std::runtime_error::runtime_error;
};

LrSweepRequest small_request() {
  const auto d = batchrmt::testing::synthetic_splits(256, 64, {1, 5, 5}, 3, 2);
  LrSweepRequest rq;
  rq.model = nw::Model::create(batchrmt::testing::linear_spec(d, 4), "cpu");
  rq.train = d.train;
  rq.transform = d.test_transform;
  rq.trial.steps = 15;
  rq.trial.monitor_size = 128;
  rq.search.seeds = 2;
  rq.search.bisections = 3;
  rq.spectrum.subsets = 2;
  rq.spectrum.lanczos_steps = 15;
  rq.spectrum.full_lanczos_steps = 20;
  rq.batch_sizes = {4, 16, 64};
  return rq;
}

std::string scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("batchrmt_lr_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

}  // namespace

TEST(LrSweep, ResumesAnInterruptedSweepWithoutRerunningCompleteBatchSizes) {
  nw::set_torch_threads(1);
  // Reference: uninterrupted.
  auto rq = small_request();
  const auto full_path = scratch("full.h5");
  std::filesystem::remove(full_path);
  std::filesystem::remove(full_path + ".partial");
  LrSweepResult ref;
  {
    auto st = outputs::Store::open(full_path, Provenance{}, outputs::OpenMode::fresh);
    ref = run_lr_sweep(rq, &st);
    st.commit();
  }
  ASSERT_EQ(ref.rows.size(), 3u);
  for (const auto& r : ref.rows) EXPECT_TRUE(r.bracketed) << r.B << " " << r.status;
  // Interrupted after B = 16 is complete (the log line follows the unit's completion).
  const auto path = scratch("cut.h5");
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".partial");
  rq.log = [](const std::string& m) {
    if (m.rfind("B = 16: lr_max", 0) == 0) throw Interrupt("stop");
  };
  {
    auto st = outputs::Store::open(path, Provenance{}, outputs::OpenMode::fresh);
    EXPECT_THROW(run_lr_sweep(rq, &st), Interrupt);
  }  // not committed: the file stays .partial
  ASSERT_TRUE(std::filesystem::exists(path + ".partial"));
  std::vector<std::string> resumed;
  rq.log = [&](const std::string& m) {
    if (m.rfind("resume:", 0) == 0) resumed.push_back(m);
  };
  LrSweepResult again;
  {
    auto st = outputs::Store::open(path, Provenance{}, outputs::OpenMode::resume);
    again = run_lr_sweep(rq, &st);
    st.commit();
  }
  ASSERT_EQ(resumed.size(), 3u);  // spectrum, B = 4, B = 16 read back; B = 64 computed
  EXPECT_NE(resumed[1].find("B = 4"), std::string::npos);
  EXPECT_NE(resumed[2].find("B = 16"), std::string::npos);
  ASSERT_EQ(again.rows.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(again.rows[i].lr_max, ref.rows[i].lr_max);
    EXPECT_EQ(again.rows[i].lr_lo, ref.rows[i].lr_lo);
    EXPECT_EQ(again.rows[i].trials.size(), ref.rows[i].trials.size());
    EXPECT_EQ(again.rows[i].predicted, ref.rows[i].predicted);
  }
  EXPECT_EQ(again.fit.slope, ref.fit.slope);
  // Every trial is stored.
  const auto reader = outputs::Reader::open(path);
  EXPECT_EQ(reader.root().group("lr_sweep/B=64").read_vector("lr").size(),
            static_cast<Eigen::Index>(ref.rows[2].trials.size()));
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

#endif
