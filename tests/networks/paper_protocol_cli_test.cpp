// The paper's C5 protocol in miniature (docs/theory.md 6.3): a network trained with SGD on
// CIFAR-100 read from --data-dir, checkpoints written to RUN.work/, the batch-Hessian spectrum
// measured at several checkpoint epochs (one series per epoch), each spectrum kept as a
// resumable file of (B, subset) units beside the result. Generated CIFAR-100 files stand in for
// the real ones (not downloadable here).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "outputs/store.hpp"
#include "tests/apps/cli_support.hpp"
#include "tests/networks/test_support.hpp"

using batchrmt::testing::run_cli;
using batchrmt::testing::ScratchDir;

TEST(PaperProtocolCli, C5TrainsWithCheckpointsAndMeasuresEachListedEpoch) {
  ScratchDir d("paper_protocol");
  std::filesystem::create_directories(d.path / "cifar");
  batchrmt::testing::write_raw(d / "cifar/train.bin", batchrmt::testing::cifar_records(300));
  batchrmt::testing::write_raw(d / "cifar/test.bin", batchrmt::testing::cifar_records(60));
  const std::string toml = d / "mini.toml";
  std::ofstream(toml) << R"([run]
only = ["C5"]
[c5]
cases = ["lenet_cifar"]
dataset = "cifar100"
train_subset = 0
test_subset = 0
batch_sizes = [8, 64, 0]
subsets = 2
lanczos_steps = 8
full_lanczos_steps = 10
noise_samples = 24
epochs = 2
checkpoint_every = 1
measure_epochs = [0, 2]
batch_size = 50
[c5.lenet_cifar]
model = "lenet"
lr = 0.01
)";
  const std::string out = d / "run.h5";
  const auto r = run_cli("--json --threads 1 reproduce --config " + toml + " --data-dir " + (d / "cifar") + " --no-plots --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["claims"].size(), 1u);
  EXPECT_NE(j["claims"][0]["verdict"], "not measured") << j["claims"][0]["note"];
  const auto store = batchrmt::outputs::Reader::open(out);
  const auto g = store.root().group("claims/C5");
  EXPECT_EQ(std::get<std::string>(*g.attribute("label.cases")), "lenet_cifar_e0,lenet_cifar_e2");
  for (const char* label : {"lenet_cifar_e0", "lenet_cifar_e2"}) {
    EXPECT_EQ(g.group("series").read_vector(std::string(label) + "_B").size(), 3) << label;
    EXPECT_EQ(g.attribute(std::string("scalar.") + label + "_N").has_value(), true) << label;
    // The per-subset evidence: every (B, subset) Lanczos run is a unit of its own file.
    const auto work = batchrmt::outputs::Reader::open(d / ("run.work/c5-" + std::string(label) + ".h5"));
    EXPECT_EQ(work.complete_units().size(), 2u + 2u * 2u) << label;  // full, noise, 2 B x 2 subsets
  }
  // Training wrote its checkpoints (epochs 0, 1, 2) to the work folder.
  for (int e : {0, 1, 2})
    EXPECT_TRUE(std::filesystem::exists(d / ("run.work/c5-lenet_cifar.checkpoints/epoch-00000" + std::to_string(e) + ".pt"))) << e;
  // The two epochs are different weights: the trained network's full-data top differs.
  const double top0 = std::get<double>(*g.attribute("scalar.lenet_cifar_e0_lambda_full"));
  const double top2 = std::get<double>(*g.attribute("scalar.lenet_cifar_e2_lambda_full"));
  EXPECT_NE(top0, top2);
}
