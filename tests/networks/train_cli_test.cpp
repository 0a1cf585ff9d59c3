// `batchrmt train` as users meet it (runs the built binary; exists only in LibTorch builds).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "networks/datasets.hpp"
#include "networks/torch_runtime.hpp"
#include "tests/apps/cli_support.hpp"
#include "tests/networks/test_support.hpp"

using batchrmt::testing::count_lines;
using batchrmt::testing::run_cli;
using batchrmt::testing::ScratchDir;
namespace fs = std::filesystem;

namespace {

nlohmann::json inspect(const std::string& file) {
  const auto r = run_cli("inspect --json " + file);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

std::vector<std::size_t> shape_of(const nlohmann::json& d, const std::string& path) {
  for (const auto& node : d["tree"])
    if (node["path"] == path) return node["shape"].get<std::vector<std::size_t>>();
  ADD_FAILURE() << path << " not in the file";
  return {};
}

nlohmann::json attributes_of(const nlohmann::json& d, const std::string& path) {
  for (const auto& node : d["tree"])
    if (node["path"] == path) return node["attributes"];
  ADD_FAILURE() << path << " not in the file";
  return {};
}

const std::string kSmall =
    "train --model linear --dataset synthetic --synthetic-train 200 --synthetic-test 50 --batch-size 32 --lr 0.1 ";

}  // namespace

TEST(TrainCli, DryRunPrintsTheParameterCountWithoutData) {
  const auto r = run_cli("train --dry-run --model vgg16bn --dataset cifar100 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["parameters"], 14774436);  // VGG-16-BN for CIFAR-100, "14.8 M"
  const auto t = run_cli("train --dry-run --model lenet");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("parameters 61706"), std::string::npos) << t.out;
  EXPECT_EQ(run_cli("train --help").exit_code, 0);
}

TEST(TrainCli, MissingDatasetIsOneSentenceNamingTheFileAndThePackage) {
  ScratchDir d("cli_nodata");
  const auto r = run_cli("train --model lenet --dataset fashion-mnist --data-dir " + d.path.string() + " --out " +
                         (d / "run.h5"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("train-images-idx3-ubyte.gz"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dataset-fashion-mnist"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "run.h5.partial"));  // nothing is created before the data loads
  const auto c = run_cli("train --model vgg16bn --dataset cifar100 --data-dir " + d.path.string());
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("train.bin"), std::string::npos) << c.err;
  const auto bad = run_cli("train --model resnet50 --dry-run");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(count_lines(bad.err), 1) << bad.err;
  if (!batchrmt::networks::cuda_available()) {
    const auto cuda = run_cli("train --dry-run --device cuda");
    EXPECT_EQ(cuda.exit_code, 2);
    EXPECT_NE(cuda.err.find("no CUDA"), std::string::npos) << cuda.err;
  }
}

TEST(TrainCli, UnknownOptimizerOrScheduleIsOneSentenceWithTheChoices) {
  const auto opt = run_cli("train --dry-run --model lenet --optimizer rmsprop");
  EXPECT_EQ(opt.exit_code, 2);
  EXPECT_EQ(count_lines(opt.err), 1) << opt.err;
  EXPECT_NE(opt.err.find("--optimizer is 'rmsprop', but must be sgd, adam or adamw."), std::string::npos) << opt.err;
  const auto sched = run_cli("train --dry-run --model lenet --schedule cosine");
  EXPECT_EQ(sched.exit_code, 2);
  EXPECT_NE(sched.err.find("--schedule is 'cosine', but must be paper, step or constant."), std::string::npos) << sched.err;
  const auto sweep = run_cli("lr-sweep --model linear --optimizer adamw");
  EXPECT_EQ(sweep.exit_code, 2);
  EXPECT_NE(sweep.err.find("--optimizer is 'adamw', but must be sgd or adam."), std::string::npos) << sweep.err;
}

TEST(TrainCli, WritesHistoryAndCheckpointsAndResumes) {
  ScratchDir d("cli_run");
  const std::string out = d / "run.h5";
  const auto r = run_cli(kSmall + "--epochs 3 --checkpoint-every 1 --stop-after 2 --json --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["status"], "stopped");
  EXPECT_TRUE(fs::exists(out + ".partial"));
  for (int e : {0, 1, 2}) EXPECT_TRUE(fs::exists(d / ("run.checkpoints/epoch-00000" + std::to_string(e) + ".pt")));
  // Without --resume an existing run is not overwritten.
  const auto again = run_cli(kSmall + "--epochs 3 --out " + out);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
  const auto resumed = run_cli(kSmall + "--epochs 3 --checkpoint-every 1 --resume --json --out " + out);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto j = nlohmann::json::parse(resumed.out);
  EXPECT_EQ(j["status"], "complete");
  EXPECT_EQ(j["epochs_completed"], 3);
  EXPECT_GT(j["test_accuracy"].get<double>(), 0.0);
  ASSERT_TRUE(fs::exists(out));
  const auto desc = inspect(out);
  EXPECT_EQ(desc["units"]["/train"], "complete");
  EXPECT_EQ(shape_of(desc, "/train/history/test_accuracy"), (std::vector<std::size_t>{3}));
  EXPECT_EQ(shape_of(desc, "/train/history/epoch"), (std::vector<std::size_t>{3}));
  EXPECT_EQ(shape_of(desc, "/train/checkpoints/epochs"), (std::vector<std::size_t>{4}));
  EXPECT_EQ(shape_of(desc, "/train/model/parameter_names"), (std::vector<std::size_t>{2}));
  const auto a = attributes_of(desc, "/train");
  EXPECT_EQ(a["training_status"], "complete");
  EXPECT_EQ(a["parameter_count"], 16 * 0 + 784 * 10 + 10);
  EXPECT_EQ(a["resumed_from_epoch"], 2);
}

TEST(TrainCli, DivergenceIsStoredAndReportedWithExitOne) {
  ScratchDir d("cli_nan");
  const std::string out = d / "nan.h5";
  const auto r = run_cli("train --model mlp --widths 64,64 --dataset synthetic --synthetic-train 128 "
                         "--synthetic-test 16 --batch-size 16 --epochs 3 --lr 1e6 --schedule constant --out " +
                         out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("diverged"), std::string::npos) << r.err;
  ASSERT_TRUE(fs::exists(out));
  EXPECT_EQ(attributes_of(inspect(out), "/train")["training_status"], "diverged");
}

TEST(TrainCli, TrainsOnCifar100AndImageFolderFilesGivenByDataDir) {
  ScratchDir d("cli_formats");
  batchrmt::testing::write_raw(d / "train.bin", batchrmt::testing::cifar_records(48));
  batchrmt::testing::write_raw(d / "test.bin", batchrmt::testing::cifar_records(16));
  const auto c = run_cli("train --model vgg16bn --dataset cifar100 --data-dir " + d.path.string() +
                         " --epochs 1 --batch-size 16 --lr 0.01 --weight-decay 5e-4 --normalize per-channel --json "
                         "--out " + (d / "cifar.h5"));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto j = nlohmann::json::parse(c.out);
  EXPECT_EQ(j["status"], "complete");
  EXPECT_EQ(j["parameters"], 14774436);
  const auto a = attributes_of(inspect(d / "cifar.h5"), "/train");
  EXPECT_NE(a["data"].get<std::string>().find("augment crop4+flip"), std::string::npos) << a["data"];
  EXPECT_EQ(a["train_size"], 48);

#ifdef BATCHRMT_TEST_HAS_TURBOJPEG
  if (!batchrmt::networks::jpeg_decoding_available()) return;
  const fs::path imagenet = d.path / "imagenet";
  batchrmt::testing::write_image_folder(imagenet);
  const std::string args = "train --model preresnet --depth 8 --dataset imagenet --image-size 32 --data-dir " +
                           imagenet.string() + " --epochs 1 --batch-size 2 --json --overwrite --out " + (d / "in.h5");
  const auto i = run_cli(args);
  ASSERT_EQ(i.exit_code, 0) << i.err;
  EXPECT_EQ(nlohmann::json::parse(i.out)["status"], "complete");
  EXPECT_TRUE(fs::exists(imagenet / ".batchrmt-cache" / "train-32.u8"));
  EXPECT_TRUE(fs::exists(imagenet / ".batchrmt-cache" / "val-32.u8"));
  EXPECT_EQ(run_cli(args).exit_code, 0);  // the second run reads the cache
  const auto dry = run_cli("train --dry-run --model preresnet --depth 8 --dataset imagenet --data-dir " +
                           imagenet.string() + " --json");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(nlohmann::json::parse(dry.out)["classes"], 2);
#endif
}
